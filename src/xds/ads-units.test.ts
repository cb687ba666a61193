/** Unit tests of the ADS pieces that need no network: wire encoding, back-off, dependencies. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { encodeResponse, ResourceEncoder } from './ads-wire.js';
import { deserializeDiscoveryRequest, deserializeDiscoveryResponse, serializeDiscoveryRequest, serializeDiscoveryResponse } from './discovery-service.js';
import { Backoff } from './ads-backoff.js';
import { defaultSubscriptions, edsNames, rdsNames, sdsNames } from './ads-dependencies.js';
import { edsCluster, rdsListener } from './testing/ads-fixtures.js';
import { AdsError } from './ads-errors.js';
import { decodeRequestFast } from './ads-request-codec.js';

test('hand-built DiscoveryResponse decodes with protobufjs, resources intact', () => {
  const enc = new ResourceEncoder();
  const c1 = edsCluster('c1');
  const c2 = edsCluster('c2', 3);
  const frames = [c1, c2].map((c) => enc.frame(TypeUrl.Cluster, enc.encode(TypeUrl.Cluster, c)));
  const bytes = encodeResponse({ versionInfo: '12', typeUrl: TypeUrl.Cluster, nonce: 'abc-1', frames, controlPlaneId: 'weft' });
  const res = deserializeDiscoveryResponse(bytes);
  assert.equal(res.versionInfo, '12');
  assert.equal(res.typeUrl, TypeUrl.Cluster);
  assert.equal(res.nonce, 'abc-1');
  assert.deepEqual(res.controlPlane, { identifier: 'weft' });
  assert.equal(res.resources.length, 2);
  assert.equal(res.resources[0]!.typeUrl, TypeUrl.Cluster);
  assert.deepEqual(decodeResource(TypeUrl.Cluster, res.resources[1]!.value), c2);

  // The generic (protobufjs) serializer produces the same bytes.
  const viaProtobufjs = serializeDiscoveryResponse(res);
  assert.deepEqual(deserializeDiscoveryResponse(viaProtobufjs), res);
  assert.ok(Buffer.compare(viaProtobufjs, bytes) === 0);
});

test('encoder encodes each object once and frames each encoding once', () => {
  const enc = new ResourceEncoder();
  const shared = edsCluster('c1');
  const first = enc.encode(TypeUrl.Cluster, shared);
  for (let i = 0; i < 100; i++) assert.equal(enc.encode(TypeUrl.Cluster, shared), first);
  assert.deepEqual(enc.stats, { encodes: 1, hits: 100 });
  assert.equal(enc.frame(TypeUrl.Cluster, first), enc.frame(TypeUrl.Cluster, first));
  assert.throws(() => enc.encode(TypeUrl.Cluster, { name: 'x', connectTimeout: 5 }), (e: unknown) => e instanceof AdsError && e.code === 'ADS_ENCODE');
});

test('DiscoveryRequest round-trips with node metadata and error_detail', () => {
  const bytes = serializeDiscoveryRequest({
    versionInfo: '3',
    node: { id: 'n1', metadata: { fields: { A: { stringValue: 'b' } } } },
    resourceNames: ['r1', 'r2'],
    typeUrl: TypeUrl.RouteConfiguration,
    responseNonce: 'x-4',
    errorDetail: { code: 3, message: 'nope' },
  });
  const req = deserializeDiscoveryRequest(bytes);
  assert.equal(req.versionInfo, '3');
  assert.deepEqual(req.node, { id: 'n1', metadata: { fields: { A: { stringValue: 'b' } } } });
  assert.deepEqual(req.resourceNames, ['r1', 'r2']);
  assert.equal(req.responseNonce, 'x-4');
  assert.deepEqual(req.errorDetail, { code: 3, message: 'nope' });
});

test('back-off grows exponentially to its cap, with bounded jitter, and resets', () => {
  const fixed = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2, random: () => 0.5 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => fixed.next()), [100, 200, 400, 800, 1000, 1000]);
  fixed.reset();
  assert.equal(fixed.next(), 100);
  const low = new Backoff({ initialMs: 100, jitter: 0.2, random: () => 0 });
  const high = new Backoff({ initialMs: 100, jitter: 0.2, random: () => 0.999999 });
  assert.equal(low.next(), 80);
  assert.equal(high.next(), 120);
  const dflt = new Backoff();
  for (let i = 0; i < 30; i++) assert.ok(dflt.next() <= 15_000);
});

test('dependencies: EDS names from EDS clusters, RDS from HCM rds, SDS from SdsSecretConfigs', () => {
  const staticCluster = { name: 'static', type: 'STATIC' };
  const renamed = { ...edsCluster('outbound|9080||reviews'), edsClusterConfig: { edsConfig: { ads: {} }, serviceName: 'reviews-svc' } };
  assert.deepEqual(edsNames([edsCluster('b'), edsCluster('a'), staticCluster, renamed]), ['a', 'b', 'reviews-svc']);
  assert.deepEqual(rdsNames([rdsListener('l1', 1, '9080'), rdsListener('l2', 2, '80'), rdsListener('l3', 3, '9080')]), ['80', '9080']);
  const tlsCluster = {
    name: 'mtls',
    transportSocket: {
      name: 'tls',
      typedConfig: {
        '@type': TypeUrl.UpstreamTlsContext,
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [{ name: 'default', sdsConfig: { ads: {} } }],
          validationContextSdsSecretConfig: { name: 'ROOTCA', sdsConfig: { ads: {} } },
        },
      },
    },
  };
  assert.deepEqual(sdsNames([tlsCluster]), ['ROOTCA', 'default']);
  const wanted = defaultSubscriptions(new Map([
    [TypeUrl.Cluster, new Map<string, object>([['a', edsCluster('a')], ['mtls', tlsCluster]])],
    [TypeUrl.Listener, new Map([['l1', rdsListener('l1', 1, 'r1')]])],
  ]));
  assert.deepEqual(wanted.get(TypeUrl.ClusterLoadAssignment), ['a']);
  assert.deepEqual(wanted.get(TypeUrl.RouteConfiguration), ['r1']);
  assert.deepEqual(wanted.get(TypeUrl.Secret), ['ROOTCA', 'default']);
});

test('the fast request decoder agrees with protobufjs and keys names by raw bytes', () => {
  const req = {
    versionInfo: '7',
    node: { id: 'sidecar~127.0.0.2~a.ns~ns.svc.cluster.local', cluster: 'a', metadata: { fields: { K: { numberValue: 1 } } } },
    resourceNames: ['c1', 'ünïcode', 'c3'],
    typeUrl: TypeUrl.ClusterLoadAssignment,
    responseNonce: 'n-9',
    errorDetail: { code: 3, message: 'bad' },
  };
  const bytes = serializeDiscoveryRequest(req);
  const fast = decodeRequestFast(bytes);
  assert.deepEqual({ ...fast, resourceNames: fast.resourceNames }, deserializeDiscoveryRequest(bytes));
  assert.ok(fast.resourceNamesKey.equals(decodeRequestFast(serializeDiscoveryRequest({ ...req, versionInfo: '8', responseNonce: 'x' })).resourceNamesKey));
  assert.ok(!fast.resourceNamesKey.equals(decodeRequestFast(serializeDiscoveryRequest({ ...req, resourceNames: ['c1', 'c3'] })).resourceNamesKey));
  const empty = decodeRequestFast(serializeDiscoveryRequest({ typeUrl: TypeUrl.Cluster }));
  assert.deepEqual(empty.resourceNames, []);
  assert.equal(empty.resourceNamesKey.length, 0);
  assert.throws(() => decodeRequestFast(Buffer.from([0x0a, 0x05, 0x61])), (e: unknown) => e instanceof AdsError && e.code === 'ADS_DECODE');
});
