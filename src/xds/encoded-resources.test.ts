import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, encodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { EncodedResourceMap, encodedOf, rawResourceName } from './encoded-resources.js';
import { edsCluster, loadAssignment, rdsListener } from './testing/ads-fixtures.js';

test('rawResourceName reads field 1 of every resource type as protobufjs decodes it', () => {
  const cases: [string, object, string][] = [
    [TypeUrl.Cluster, edsCluster('outbound|80||a.ns.svc.cluster.local'), 'outbound|80||a.ns.svc.cluster.local'],
    [TypeUrl.ClusterLoadAssignment, loadAssignment('c-ü', 9001, 9002), 'c-ü'],
    [TypeUrl.Listener, rdsListener('l1', 15001, 'r1'), 'l1'],
    [TypeUrl.Cluster, { type: 'STATIC' }, ''],
  ];
  for (const [typeUrl, obj, name] of cases) {
    const bytes = encodeResource(typeUrl, obj);
    assert.equal(rawResourceName(bytes), name);
    const decoded = decodeResource<{ name?: string; clusterName?: string }>(typeUrl, bytes);
    assert.equal(decoded.name ?? decoded.clusterName ?? '', name);
  }
  assert.equal(rawResourceName(new Uint8Array([0x0a, 0x05, 0x61])), undefined, 'truncated');
  assert.equal(rawResourceName(new Uint8Array([0x0b])), undefined, 'unsupported wire type');
});

test('a lazy map decodes on each get once released; an eager map keeps one object per name', () => {
  const bytes = new Map([['c1', encodeResource(TypeUrl.Cluster, edsCluster('c1'))], ['c2', encodeResource(TypeUrl.Cluster, edsCluster('c2', 2))]]);
  const held = { name: 'c1', type: 'EDS' };
  const lazy = new EncodedResourceMap(TypeUrl.Cluster, bytes, true, new Map([['c1', held]]));
  assert.equal(lazy.get('c1'), held, 'held while the update is handled');
  lazy.release();
  const a = lazy.get('c1');
  assert.notEqual(a, held);
  assert.notEqual(lazy.get('c1'), a, 'a new object per get');
  assert.deepEqual(lazy.get('c1'), decodeResource(TypeUrl.Cluster, bytes.get('c1')!));
  assert.deepEqual([...lazy.keys()], ['c1', 'c2']);
  assert.equal([...lazy.values()].length, 2);
  assert.equal(lazy.size, 2);
  assert.equal(lazy.get('nope'), undefined);
  assert.equal(encodedOf(lazy, 'c2'), bytes.get('c2'));
  assert.equal(encodedOf(new Map([['c2', {}]]), 'c2'), undefined);

  const eager = new EncodedResourceMap(TypeUrl.Cluster, bytes, false);
  eager.release();
  assert.equal(eager.get('c2'), eager.get('c2'), 'eager: same object');
  const picked = eager.pick(new Set(['c2']));
  assert.deepEqual([...picked.keys()], ['c2']);
  assert.equal(picked.get('c2'), eager.get('c2'), 'pick shares decoded objects');
});
