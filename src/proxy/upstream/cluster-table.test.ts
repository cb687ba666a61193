import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../../envoy/type-url.js';
import { ClusterManager } from './cluster-manager.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, withUpdate } from '../listener/runtime-snapshot.js';
import { StatsStore } from '../stats/stats-store.js';
import { UNKNOWN_WORKLOAD } from '../stats/telemetry.js';

const cluster = (port: number) => ({ name: 'c', type: 'STATIC', loadAssignment: { clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.9', portValue: port } } } }] }] } });

test('clusters are built on first use, and a used cluster carries over to the next snapshot', () => {
  const cm = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map([['c', cluster(80)], ['d', { ...cluster(81), name: 'd' }]]), '1');
  const s1 = compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: cm });
  cm.commitTable(s1.clusters);
  assert.equal(s1.clusters.size, 2);
  assert.equal([...s1.clusters.built()].length, 0, 'nothing built at compile time');
  const c1 = s1.clusters.get('c')!;
  assert.equal([...s1.clusters.built()].length, 1);
  assert.equal(cm.resilienceState('c')?.current, c1, 'a lazily built cluster of the committed snapshot is adopted');

  // Same content in new objects: the runtime itself is reused; 'd' stays unbuilt.
  const s2 = compileSnapshot(withUpdate(r, TypeUrl.Cluster, new Map([['c', cluster(80)], ['d', { ...cluster(81), name: 'd' }]]), '2'), { podIp: '127.0.0.1', clusterManager: cm });
  cm.commitTable(s2.clusters);
  assert.equal([...s2.clusters.built()][0], c1);
  assert.equal([...s2.clusters.built()].length, 1);

  // Changed endpoints: rebuilt at compile time (it is in use).
  const s3 = compileSnapshot(withUpdate(r, TypeUrl.Cluster, new Map([['c', cluster(82)]]), '3'), { podIp: '127.0.0.1', clusterManager: cm });
  const c3 = [...s3.clusters.built()][0]!;
  assert.notEqual(c3, c1);
  assert.equal(c3.lb!.pick({})!.port, 82);
});

test('an invalid endpoint port is rejected at compile time, before any build', () => {
  const cm = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map([['c', cluster(70000)]]), '1');
  assert.throws(() => compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: cm }), /PROXY_INVALID_CLUSTER: cluster c: .*70000/);
});

test('from wire bytes: entries keep bytes, unchanged clusters are neither decoded nor validated again', async () => {
  const { EncodedResourceMap } = await import('../../xds/encoded-resources.js');
  const { encodeResource } = await import('../../xds/protos.js');
  const { compileClusters } = await import('./cluster-table.js');
  const eds = (name: string) => ({ name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } }, connectTimeout: { seconds: 1 } });
  const cla = (name: string, port: number) => ({ clusterName: name, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.9', portValue: port } } } }] }] });
  // Fresh copies of the bytes each time: equal content, different objects (as after a re-sent push).
  const clusters = () => new EncodedResourceMap(TypeUrl.Cluster, new Map(['a', 'b', 'c'].map((n) => [n, Uint8Array.from(encodeResource(TypeUrl.Cluster, eds(n)))])), true);
  const endpoints = (bPort: number) => new EncodedResourceMap(TypeUrl.ClusterLoadAssignment, new Map([['a', cla('a', 80)], ['b', cla('b', bPort)], ['c', cla('c', 82)]].map(([n, c]) => [n as string, Uint8Array.from(encodeResource(TypeUrl.ClusterLoadAssignment, c as object))])), true);
  const cm = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const validated: string[] = [];
  const validate = (c: { name?: string }) => void validated.push(c.name ?? '');
  const onError = (_n: string, e: unknown) => e as Error;

  const t1 = compileClusters({ clusters: clusters(), endpoints: endpoints(81) }, cm, undefined, validate, onError);
  assert.deepEqual(validated.sort(), ['a', 'b', 'c']);
  cm.commitTable(t1);
  const a1 = t1.get('a')!;
  assert.equal(a1.lb!.pick({})!.port, 80);
  assert.equal(t1.config('c')!.name, 'c', 'config decoded on demand');
  assert.equal([...t1.configured()].find(([n]) => n === 'b')![1].cla!.endpoints![0]!.lbEndpoints![0]!.endpoint!.address!.socketAddress!.portValue, 81);

  validated.length = 0;
  const t2 = compileClusters({ clusters: clusters(), endpoints: endpoints(91) }, cm, t1, validate, onError);
  assert.deepEqual(validated, ['b'], 'only the cluster whose assignment changed is validated');
  assert.equal(t2.get('a'), a1, 'the built cluster carries over (same bytes)');
  cm.commitTable(t2);
  assert.equal(t2.get('b')!.lb!.pick({})!.port, 91);

  validated.length = 0;
  assert.throws(() => compileClusters({ clusters: clusters(), endpoints: endpoints(70000) }, cm, t2, (c, l) => cm.validate(c, l), (n, e) => new Error(`${n}: ${(e as Error).message}`)), /b: .*70000/);
});
