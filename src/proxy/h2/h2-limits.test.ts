import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EDGE_H2_LIMITS, h2LimitsFrom, sameH2Limits } from './h2-limits.js';

test('no http2ProtocolOptions: Envoy\'s edge guidance (100 streams, 64 KiB stream window, 1 MiB connection window)', () => {
  assert.deepEqual(h2LimitsFrom(undefined), { maxConcurrentStreams: 100, initialStreamWindowSize: 65536, initialConnectionWindowSize: 1048576 });
  assert.deepEqual(h2LimitsFrom({}), EDGE_H2_LIMITS);
});

test('HCM values win, clamped to Envoy\'s valid ranges', () => {
  assert.deepEqual(h2LimitsFrom({ maxConcurrentStreams: { value: 10 }, initialStreamWindowSize: { value: 131072 }, initialConnectionWindowSize: { value: 4194304 } }),
    { maxConcurrentStreams: 10, initialStreamWindowSize: 131072, initialConnectionWindowSize: 4194304 });
  const clamped = h2LimitsFrom({ maxConcurrentStreams: { value: 2 ** 32 }, initialStreamWindowSize: { value: 1 }, initialConnectionWindowSize: { value: 2 ** 40 } });
  assert.deepEqual(clamped, { maxConcurrentStreams: 2 ** 31 - 1, initialStreamWindowSize: 65535, initialConnectionWindowSize: 2 ** 31 - 1 });
  // A wrapper without a value is the proto default 0: the smallest valid value.
  assert.equal(h2LimitsFrom({ maxConcurrentStreams: {} }).maxConcurrentStreams, 1);
});

test('sameH2Limits compares every field', () => {
  assert.ok(sameH2Limits(EDGE_H2_LIMITS, h2LimitsFrom({})));
  assert.ok(!sameH2Limits(EDGE_H2_LIMITS, h2LimitsFrom({ maxConcurrentStreams: { value: 5 } })));
});
