import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterChainMatcher, selectFilterChain, type ConnectionInfo } from './filter-chain-matcher.js';
import type { FilterChain, FilterChainMatch, Listener } from './types.js';

const chain = (name: string, filterChainMatch: FilterChainMatch = {}): FilterChain => ({ name, filterChainMatch, filters: [] });
const cidr = (addressPrefix: string, prefixLen: number) => ({ addressPrefix, prefixLen: { value: prefixLen } });

const listener: Listener = {
  name: 'virtualInbound',
  filterChains: [
    chain('port-9080', { destinationPort: { value: 9080 } }),
    chain('port-9080-10/8', { destinationPort: { value: 9080 }, prefixRanges: [cidr('10.0.0.0', 8)] }),
    chain('port-9080-10.1/16', { destinationPort: { value: 9080 }, prefixRanges: [cidr('10.1.0.0', 16)] }),
    chain('sni-exact', { serverNames: ['www.example.com'], transportProtocol: 'tls' }),
    chain('sni-wild', { serverNames: ['*.example.com'], transportProtocol: 'tls' }),
    chain('sni-com', { serverNames: ['*.com'], transportProtocol: 'tls' }),
    chain('tls-any', { transportProtocol: 'tls' }),
    chain('raw-h2', { transportProtocol: 'raw_buffer', applicationProtocols: ['h2', 'h2c'] }),
    chain('raw-any', { transportProtocol: 'raw_buffer' }),
    chain('src-192.168', { destinationPort: { value: 7000 }, sourcePrefixRanges: [cidr('192.168.0.0', 16)] }),
    chain('local', { destinationPort: { value: 7001 }, sourceType: 'SAME_IP_OR_LOOPBACK' }),
    chain('external', { destinationPort: { value: 7001 }, sourceType: 'EXTERNAL' }),
    chain('any-type', { destinationPort: { value: 7001 }, sourcePorts: [5555] }),
    chain('sport-5555', { destinationPort: { value: 7002 }, sourcePorts: [5555, 5556] }),
    chain('sport-any', { destinationPort: { value: 7002 } }),
    chain('sni-a-tls', { destinationPort: { value: 7003 }, serverNames: ['a.example.com'], transportProtocol: 'tls' }),
    chain('raw-7003', { destinationPort: { value: 7003 }, transportProtocol: 'raw_buffer' }),
    chain('direct-10', { destinationPort: { value: 7004 }, directSourcePrefixRanges: [cidr('10.0.0.0', 8)] }),
  ],
  defaultFilterChain: chain('default'),
};

function conn(over: Partial<ConnectionInfo>): ConnectionInfo {
  return { destinationIp: '10.9.9.9', destinationPort: 8000, transportProtocol: 'raw_buffer', sourceIp: '10.0.0.1', sourcePort: 40000, ...over };
}

const m = compileFilterChainMatcher(listener);
const name = (over: Partial<ConnectionInfo>) => m.select(conn(over))?.name;

test('destination port, then the longest destination prefix', () => {
  assert.equal(name({ destinationPort: 9080, destinationIp: '10.1.2.3' }), 'port-9080-10.1/16');
  assert.equal(name({ destinationPort: 9080, destinationIp: '10.2.0.1' }), 'port-9080-10/8');
  assert.equal(name({ destinationPort: 9080, destinationIp: '192.168.1.1' }), 'port-9080');
  assert.equal(name({ destinationPort: 9080, destinationIp: '::ffff:10.1.0.1' }), 'port-9080-10.1/16');
});

test('server names: exact, then the longest wildcard suffix, then none; lower-cased', () => {
  const tls = (serverName?: string) => name({ transportProtocol: 'tls', ...(serverName !== undefined ? { serverName } : {}) });
  assert.equal(tls('www.example.com'), 'sni-exact');
  assert.equal(tls('WWW.Example.COM'), 'sni-exact');
  assert.equal(tls('a.example.com'), 'sni-wild');
  assert.equal(tls('a.b.example.com'), 'sni-wild');
  assert.equal(tls('x.com'), 'sni-com');
  assert.equal(tls('example.com'), 'sni-com');
  assert.equal(tls('example.org'), 'tls-any');
  assert.equal(tls(), 'tls-any');
});

test('transport protocol, then the first ALPN value any chain names', () => {
  assert.equal(name({ applicationProtocols: ['http/1.1', 'h2'] }), 'raw-h2');
  assert.equal(name({ applicationProtocols: ['h2c'] }), 'raw-h2');
  assert.equal(name({ applicationProtocols: ['http/1.1'] }), 'raw-any');
  assert.equal(name({}), 'raw-any');
  assert.equal(name({ transportProtocol: 'quic' }), 'default');
});

test('source IP, source type and source port', () => {
  assert.equal(name({ destinationPort: 7000, sourceIp: '192.168.3.4' }), 'src-192.168');
  assert.equal(name({ destinationPort: 7000, sourceIp: '::ffff:192.168.3.4' }), 'src-192.168');
  assert.equal(name({ destinationPort: 7001, sourceIp: '127.0.0.1' }), 'local');
  assert.equal(name({ destinationPort: 7001, sourceIp: '10.0.0.9', destinationIp: '10.0.0.9' }), 'local');
  // Once the local/external list exists it wins over ANY chains, even when they'd match better.
  assert.equal(name({ destinationPort: 7001, sourceIp: '10.0.0.5', destinationIp: '10.0.0.9', sourcePort: 5555 }), 'external');
  assert.equal(name({ destinationPort: 7002, sourcePort: 5556 }), 'sport-5555');
  assert.equal(name({ destinationPort: 7002, sourcePort: 6000 }), 'sport-any');
  assert.equal(name({ destinationPort: 7004, sourceIp: '10.1.1.1' }), 'direct-10');
  assert.equal(name({ destinationPort: 7004, sourceIp: '10.1.1.1', directSourceIp: '172.16.0.1' }), 'default');
});

test('no backtracking: a more specific level that fails does not fall back to a less specific one', () => {
  // Port 7000 has chains, so port-less chains (raw-any) are never considered.
  assert.equal(name({ destinationPort: 7000, sourceIp: '10.0.0.1' }), 'default');
  // SNI a.example.com selects the chain group that requires tls; the raw_buffer chain without SNI is not retried.
  assert.equal(name({ destinationPort: 7003, serverName: 'a.example.com', transportProtocol: 'raw_buffer' }), 'default');
  assert.equal(name({ destinationPort: 7003, transportProtocol: 'raw_buffer' }), 'raw-7003');
});

test('without a default chain nothing is selected; selectFilterChain caches per listener', () => {
  const bare: Listener = { filterChains: [chain('only', { destinationPort: { value: 1 } })] };
  assert.equal(compileFilterChainMatcher(bare).select(conn({ destinationPort: 2 })), undefined);
  assert.equal(selectFilterChain(bare, conn({ destinationPort: 1 }))?.name, 'only');
  assert.equal(selectFilterChain(listener, conn({ destinationPort: 9080, destinationIp: '10.1.0.1' }))?.name, 'port-9080-10.1/16');
  assert.equal(compileFilterChainMatcher({}).select(conn({})), undefined);
});

test('overlapping chains and partial SNI wildcards are rejected', () => {
  assert.throws(() => compileFilterChainMatcher({ filterChains: [chain('a'), chain('b')] }), { code: 'ENVOY_INVALID_FILTER_CHAINS' });
  assert.throws(
    () => compileFilterChainMatcher({ filterChains: [chain('a', { sourcePorts: [1, 2] }), chain('b', { sourcePorts: [2] })] }),
    { code: 'ENVOY_INVALID_FILTER_CHAINS' },
  );
  assert.throws(() => compileFilterChainMatcher({ filterChains: [chain('a', { serverNames: ['foo*.com'] })] }), { code: 'ENVOY_INVALID_FILTER_CHAINS' });
  assert.throws(() => compileFilterChainMatcher({ filterChains: [chain('a', { prefixRanges: [cidr('nope', 8)] })] }), { code: 'ENVOY_INVALID_CIDR' });
});
