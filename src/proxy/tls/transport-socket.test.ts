/** Transport socket selection per endpoint, as Envoy's transport_socket_matches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, LbEndpoint } from '../../envoy/types.js';
import { toStruct } from '../../translate/cluster/struct-values.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { upstreamTlsFor } from './transport-socket.js';

const mtls = { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': TypeUrl.UpstreamTlsContext, commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'default' }] }, sni: 'outbound_.9080_._.reviews' } };
const cluster: Cluster = {
  name: 'outbound|9080||reviews.default.svc.cluster.local',
  transportSocketMatches: [
    { name: 'tlsMode-istio', match: toStruct({ tlsMode: 'istio' }), transportSocket: mtls },
    { name: 'tlsMode-disabled', match: {}, transportSocket: { name: 'envoy.transport_sockets.raw_buffer', typedConfig: { '@type': TypeUrl.RawBuffer } } },
  ],
};
const ep = (tlsMode?: string): LbEndpoint => ({
  endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 9080 } } },
  ...(tlsMode ? { metadata: { filterMetadata: { 'envoy.transport_socket_match': toStruct({ tlsMode }) } } } : {}),
});

test('endpoints labelled tlsMode istio get mTLS, others plaintext', () => {
  const a = upstreamTlsFor(cluster, ep('istio'));
  assert.equal(a?.matchName, 'tlsMode-istio');
  assert.equal(a?.context.sni, 'outbound_.9080_._.reviews');
  assert.equal(upstreamTlsFor(cluster, ep()), undefined);
  assert.equal(upstreamTlsFor(cluster, ep('disabled')), undefined);
});

test('equal settings share a pool key; a proxy without identity falls through to plaintext', () => {
  assert.equal(upstreamTlsFor(cluster, ep('istio'))?.key, upstreamTlsFor(cluster, ep('istio'))?.key);
  assert.equal(upstreamTlsFor(cluster, ep('istio'), false), undefined);
  const explicit: Cluster = { name: 'c', transportSocket: mtls };
  assert.equal(upstreamTlsFor(explicit, ep(), false)?.matchName, 'transportSocket', 'explicit ISTIO_MUTUAL never silently downgrades');
});
