import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilterChainMatcher, type ConnectionInfo } from '../../envoy/filter-chain-matcher.js';
import type { Filter } from '../../envoy/types.js';
import { autoProtocolChains, PLAINTEXT_HTTP_ALPNS } from './protocol-sniffing.js';

const hcm: Filter = { name: 'envoy.filters.network.http_connection_manager' };
const tcp = (c: string): Filter => ({ name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': 'x', cluster: c } });
const conn = (ip: string, transportProtocol: string, alpn: string[] = []): ConnectionInfo => ({ destinationIp: ip, destinationPort: 9000, transportProtocol, applicationProtocols: alpn, sourceIp: '127.0.0.1', sourcePort: 1 });

test('auto protocol, one service: http/1.1 and h2c reach the HCM; raw TCP and TLS the TCP proxy', () => {
  assert.deepEqual(PLAINTEXT_HTTP_ALPNS, ['http/1.1', 'h2c']);
  const chains = autoProtocolChains(hcm, [{ name: 'outbound|9000||a', filters: [tcp('a')] }]);
  const m = compileFilterChainMatcher({ filterChains: chains, defaultFilterChain: { name: 'Passthrough' } });
  assert.equal(m.select(conn('10.0.0.1', 'raw_buffer', ['http/1.1']))?.filters?.[0], hcm);
  assert.equal(m.select(conn('10.0.0.1', 'raw_buffer', ['h2c']))?.filters?.[0], hcm);
  assert.equal(m.select(conn('10.0.0.1', 'raw_buffer', ['http/1.0']))?.name, 'outbound|9000||a', 'http/1.0 is not matched (istiod without HTTP10)');
  assert.equal(m.select(conn('10.0.0.1', 'raw_buffer'))?.name, 'outbound|9000||a');
  assert.equal(m.select(conn('10.0.0.1', 'tls', ['h2', 'http/1.1']))?.name, 'outbound|9000||a', 'TLS is opaque TCP');
});

test('auto protocol, services by VIP: each VIP keeps HTTP detection and its own TCP chain; other IPs fall through', () => {
  const chains = autoProtocolChains(hcm, [
    { name: 'outbound|9000||a', filters: [tcp('a')], prefixRanges: [{ addressPrefix: '10.0.0.1', prefixLen: { value: 32 } }] },
    { name: 'outbound|9000||b', filters: [tcp('b')], prefixRanges: [{ addressPrefix: '10.0.0.2', prefixLen: { value: 32 } }] },
  ]);
  const m = compileFilterChainMatcher({ filterChains: chains, defaultFilterChain: { name: 'Passthrough' } });
  assert.equal(m.select(conn('10.0.0.2', 'raw_buffer', ['h2c']))?.filters?.[0], hcm);
  assert.equal(m.select(conn('10.0.0.2', 'raw_buffer'))?.name, 'outbound|9000||b');
  assert.equal(m.select(conn('10.0.0.1', 'tls'))?.name, 'outbound|9000||a');
  assert.equal(m.select(conn('10.9.9.9', 'raw_buffer', ['http/1.1']))?.name, 'Passthrough');
});
