import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoInboundChains, inboundDetectionFields, MTLS_HTTP_ALPNS, MTLS_TCP_ALPNS } from './inbound-auto-chains.js';
import { meshConfigWith } from '../../config/mesh-config.js';

const HTTP = { name: 'envoy.filters.network.http_connection_manager' };
const TCP = [{ name: 'envoy.filters.network.tcp_proxy' }];

/** transport, ALPN, filter kind and TLS termination of each chain, in order. */
function shape(mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE'): string[] {
  return autoInboundChains(9000, mode, HTTP, TCP, 'cluster.local').map((c) => {
    const m = c.filterChainMatch ?? {};
    assert.equal(m.destinationPort?.value, 9000);
    return [m.transportProtocol ?? 'any', (m.applicationProtocols ?? []).join('|') || '-', c.filters?.[0]?.name === HTTP.name ? 'http' : 'tcp', c.transportSocket ? 'mtls' : 'plain'].join(' ');
  });
}

test('PERMISSIVE: istiod\'s five chains (HTTP/TCP over mTLS, plaintext HTTP/TCP, app TLS as TCP)', () => {
  assert.deepEqual(shape('PERMISSIVE'), [
    `tls ${MTLS_HTTP_ALPNS.join('|')} http mtls`,
    'raw_buffer http/1.1|h2c http plain',
    `tls ${MTLS_TCP_ALPNS.join('|')} tcp mtls`,
    'raw_buffer - tcp plain',
    'tls - tcp plain',
  ]);
});

test('STRICT: HTTP over mTLS by ALPN, every other TLS connection TCP over mTLS; no plaintext', () => {
  assert.deepEqual(shape('STRICT'), [`tls ${MTLS_HTTP_ALPNS.join('|')} http mtls`, 'tls - tcp mtls']);
});

test('DISABLE: plaintext HTTP by ALPN, other plaintext TCP', () => {
  assert.deepEqual(shape('DISABLE'), ['raw_buffer http/1.1|h2c http plain', 'raw_buffer - tcp plain']);
});

test('chains are named <bind>_<port> (mTLS ones _mtls), as inbound-bind.ts reads them', () => {
  const names = autoInboundChains(9000, 'PERMISSIVE', HTTP, TCP, 'cluster.local', '127.0.0.9').map((c) => c.name);
  assert.deepEqual(names, ['127.0.0.9_9000_mtls', '127.0.0.9_9000', '127.0.0.9_9000_mtls', '127.0.0.9_9000', '127.0.0.9_9000']);
});

test('detection fields: both inspectors, protocolDetectionTimeout (default 0s), continue on timeout', () => {
  const d = inboundDetectionFields(meshConfigWith({}));
  assert.deepEqual(d.listenerFilters?.map((f) => f.name), ['envoy.filters.listener.tls_inspector', 'envoy.filters.listener.http_inspector']);
  assert.deepEqual(d.listenerFiltersTimeout, { seconds: 0, nanos: 0 });
  assert.equal(d.continueOnListenerFiltersTimeout, true);
  assert.deepEqual(inboundDetectionFields(meshConfigWith({ protocolDetectionTimeoutMs: 1500 })).listenerFiltersTimeout, { seconds: 1, nanos: 500_000_000 });
});
