import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgePolicyOf, isInternalAddress, stripEnvoyHeaders, trustedClientAddress } from './edge-policy.js';
import { unmapIpv4 } from '../../envoy/cidr.js';

test('trusted client address: the peer with 0 hops; the N-th XFF entry from the right with N (Istio numTrustedProxies example)', () => {
  const xff = '56.5.6.7, 72.9.5.6, 98.1.2.3';
  assert.equal(trustedClientAddress(xff, '10.0.0.9', 0), '10.0.0.9');
  assert.equal(trustedClientAddress(xff, '10.0.0.9', 1), '98.1.2.3');
  assert.equal(trustedClientAddress(xff, '10.0.0.9', 2), '72.9.5.6');
  assert.equal(trustedClientAddress(xff, '10.0.0.9', 3), '56.5.6.7');
  // Fewer entries than trusted hops: Envoy falls back to the connection's peer.
  assert.equal(trustedClientAddress(xff, '10.0.0.9', 4), '10.0.0.9');
  assert.equal(trustedClientAddress(undefined, '10.0.0.9', 2), '10.0.0.9');
  assert.equal(trustedClientAddress('1.2.3.4, not-an-ip', '10.0.0.9', 1), '10.0.0.9');
  assert.equal(trustedClientAddress(['1.2.3.4', '5.6.7.8'], '10.0.0.9', 2), '1.2.3.4');
  assert.equal(trustedClientAddress('::ffff:1.2.3.4', '10.0.0.9', 1), '1.2.3.4');
});

test('internal addresses: none without internalAddressConfig (loopback and RFC 1918 included); configured ranges only', () => {
  const none = edgePolicyOf({ useRemoteAddress: { value: true } });
  for (const a of ['127.0.0.1', '10.1.2.3', '192.168.1.1', '::1', '203.0.113.9']) assert.equal(isInternalAddress(a, none.internalRanges), false, a);
  const some = edgePolicyOf({ useRemoteAddress: { value: true }, internalAddressConfig: { cidrRanges: [{ addressPrefix: '10.0.0.0', prefixLen: { value: 8 } }, { addressPrefix: 'bogus' }] } });
  assert.equal(some.internalRanges.length, 1, 'an invalid range is ignored');
  assert.equal(isInternalAddress('10.200.0.1', some.internalRanges), true);
  assert.equal(isInternalAddress('11.0.0.1', some.internalRanges), false);
  assert.equal(isInternalAddress(undefined, some.internalRanges), false);
});

test('edge policy: HCM fields with Envoy defaults, compiled once per config object', () => {
  const cfg = { useRemoteAddress: { value: true }, xffNumTrustedHops: 2, preserveExternalRequestId: true };
  const p = edgePolicyOf(cfg);
  assert.deepEqual(p, { useRemoteAddress: true, xffNumTrustedHops: 2, skipXffAppend: false, internalRanges: [], preserveExternalRequestId: true });
  assert.equal(edgePolicyOf(cfg), p);
  assert.deepEqual(edgePolicyOf({}), { useRemoteAddress: false, xffNumTrustedHops: 0, skipXffAppend: false, internalRanges: [], preserveExternalRequestId: false });
});

test('stripEnvoyHeaders removes every x-envoy-* header and nothing else', () => {
  const h: Record<string, string> = {
    'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '200', 'x-envoy-upstream-rq-timeout-ms': '1', 'x-envoy-internal': 'true',
    'x-envoy-original-path': '/a', 'x-envoy-peer-metadata': 'x', 'x-envoy-peer-metadata-id': 'y', 'x-request-id': 'r', envoy: 'keep', 'x-envoyish': 'keep',
  };
  stripEnvoyHeaders(h);
  assert.deepEqual(h, { 'x-request-id': 'r', envoy: 'keep', 'x-envoyish': 'keep' });
  assert.equal(unmapIpv4('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(unmapIpv4('::1'), '::1');
});
