import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRetryHeaders, capHeaderRetries, compileRetryPolicy, effectivePerTryTimeoutMs, MAX_HEADER_RETRIES, routeRetryPolicy, parseRetryOn, ResetReason, RetryOn, wouldRetryFromHeaders, wouldRetryFromReset, type RetryPolicyRuntime } from './retry-policy.js';

const policy = (retryOn: string, extra: object = {}): RetryPolicyRuntime => compileRetryPolicy({ retryOn, numRetries: { value: 2 }, ...extra })!;
const H = (h: Record<string, string> = {}) => h;
const R = ResetReason;

/** [retryOn, status or reset reason, headers, expected] */
const TABLE: readonly [string, number | keyof typeof R, Record<string, string>, boolean][] = [
  ['5xx', 500, {}, true], ['5xx', 503, {}, true], ['5xx', 404, {}, false], ['5xx', 'Reset', {}, true], ['5xx', 'ConnectFailure', {}, true], ['5xx', 'PerTryTimeout', {}, true],
  ['gateway-error', 500, {}, false], ['gateway-error', 502, {}, true], ['gateway-error', 503, {}, true], ['gateway-error', 504, {}, true], ['gateway-error', 'Reset', {}, true], ['gateway-error', 'PerTryTimeout', {}, true],
  ['reset', 503, {}, false], ['reset', 'Reset', {}, true], ['reset', 'ConnectFailure', {}, true], ['reset', 'PerTryTimeout', {}, true],
  ['connect-failure', 503, {}, false], ['connect-failure', 'ConnectFailure', {}, true], ['connect-failure', 'Reset', {}, false], ['connect-failure', 'PerTryTimeout', {}, false],
  ['refused-stream', 'RefusedStream', {}, true], ['refused-stream', 'Reset', {}, false], ['refused-stream', 503, {}, false],
  ['retriable-4xx', 409, {}, true], ['retriable-4xx', 404, {}, false], ['retriable-4xx', 503, {}, false],
  ['retriable-status-codes', 503, {}, true], ['retriable-status-codes', 500, {}, false], ['retriable-status-codes', 'Reset', {}, false],
  ['retriable-headers', 200, { 'x-retry-me': 'yes' }, true], ['retriable-headers', 500, {}, false],
  ['cancelled', 200, { 'grpc-status': '1' }, true], ['cancelled', 200, { 'grpc-status': '14' }, false],
  ['deadline-exceeded', 200, { 'grpc-status': '4' }, true], ['internal', 200, { 'grpc-status': '13' }, true],
  ['resource-exhausted', 200, { 'grpc-status': '8' }, true], ['unavailable', 200, { 'grpc-status': '14' }, true], ['unavailable', 503, {}, false],
  ['5xx', 'Overflow', {}, false], ['reset', 'Overflow', {}, false], ['connect-failure', 'Overflow', {}, false],
  ['5xx', 503, { 'x-envoy-ratelimited': 'true' }, false], ['envoy-ratelimited', 429, { 'x-envoy-ratelimited': 'true' }, true],
  // Istio's default policy.
  ['connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', 503, {}, true],
  ['connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', 500, {}, false],
  ['connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', 'Reset', {}, false],
  ['connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', 'ConnectFailure', {}, true],
];

test('retry decision table for every retryOn value', () => {
  for (const [on, outcome, headers, want] of TABLE) {
    const p = policy(on, { retriableStatusCodes: [503], retriableHeaders: [{ name: 'x-retry-me', presentMatch: true }] });
    const got = typeof outcome === 'number' ? wouldRetryFromHeaders(p, outcome, H(headers)) : wouldRetryFromReset(p, R[outcome], true);
    assert.equal(got, want, `${on} / ${String(outcome)} ${JSON.stringify(headers)}`);
  }
});

test('reset-before-request only before the request was sent', () => {
  const p = policy('reset-before-request');
  assert.equal(wouldRetryFromReset(p, R.Reset, false), true);
  assert.equal(wouldRetryFromReset(p, R.Reset, true), false);
});

test('parseRetryOn ignores unknown names and whitespace', () => {
  assert.equal(parseRetryOn(' 5xx , nope,reset'), RetryOn.FiveXx | RetryOn.Reset);
  assert.equal(parseRetryOn(''), 0);
});

test('compile: defaults (numRetries 1, back-off 25 ms / 250 ms, previous hosts) and caching', () => {
  const cfg = { retryOn: '5xx', retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }], perTryTimeout: { seconds: 1 } };
  const p = compileRetryPolicy(cfg)!;
  assert.equal(p.numRetries, 1);
  assert.equal(p.baseIntervalMs, 25);
  assert.equal(p.maxIntervalMs, 250);
  assert.equal(p.previousHosts, true);
  assert.equal(p.perTryTimeoutMs, 1000);
  assert.equal(compileRetryPolicy(cfg), p);
  assert.equal(compileRetryPolicy({ retryOn: '' }), undefined);
  assert.equal(compileRetryPolicy({ retryOn: '5xx', retryBackOff: { baseInterval: { nanos: 100_000_000 } } })!.maxIntervalMs, 1000);
});

test('request headers: x-envoy-retry-on adds, x-envoy-max-retries replaces, headers are consumed', () => {
  const base = policy('connect-failure');
  const h: Record<string, string> = { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '4', 'x-envoy-retriable-status-codes': '418', other: 'x' };
  const p = applyRetryHeaders(base, h)!;
  assert.equal(p.retryOn, RetryOn.ConnectFailure | RetryOn.FiveXx);
  assert.equal(p.numRetries, 4);
  assert.deepEqual(p.retriableStatusCodes, [418]);
  assert.deepEqual(Object.keys(h), ['other']);
  assert.equal(applyRetryHeaders(base, { other: 'x' }), base, 'no headers: no allocation');
  const fromNothing = applyRetryHeaders(undefined, { 'x-envoy-retry-on': 'reset' })!;
  assert.equal(fromNothing.numRetries, 1);
  assert.equal(applyRetryHeaders(undefined, { 'x-envoy-max-retries': '3' }), undefined);
});

test('x-envoy-max-retries is capped at max(route retries, 10); smaller values and the route policy stand', () => {
  assert.equal(MAX_HEADER_RETRIES, 10);
  assert.equal(capHeaderRetries(200, 2), 10);
  assert.equal(capHeaderRetries(3, 2), 3);
  assert.equal(capHeaderRetries(200, 25), 25);
  assert.equal(applyRetryHeaders(undefined, { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '200' })?.numRetries, 10);
  assert.equal(applyRetryHeaders(policy('5xx'), { 'x-envoy-max-retries': '4294967295' })?.numRetries, 10);
  assert.equal(applyRetryHeaders(policy('5xx'), { 'x-envoy-max-retries': '0' })?.numRetries, 0);
});

test("routeRetryPolicy: the route's policy, else the virtual host's; none without a retry condition", () => {
  const vh = { name: 'vh', domains: ['*'], retryPolicy: { retryOn: 'connect-failure', numRetries: { value: 4 } } };
  assert.equal(routeRetryPolicy({ cluster: 'c' }, vh)?.numRetries, 4);
  assert.equal(routeRetryPolicy({ cluster: 'c', retryPolicy: { retryOn: '5xx' } }, vh)?.numRetries, 1);
  assert.equal(routeRetryPolicy({ cluster: 'c', retryPolicy: { retryOn: 'bogus' } }, vh), undefined);
  assert.equal(routeRetryPolicy({ cluster: 'c' }, undefined), undefined);
  assert.equal(compileRetryPolicy({ retryOn: '5xx', numRetries: {} })?.numRetries, 0, 'a wrapper without a value is 0');
});

test('effectivePerTryTimeoutMs: only a per-try timeout shorter than the route timeout counts', () => {
  const p = compileRetryPolicy({ retryOn: '5xx', perTryTimeout: { seconds: 2 } });
  assert.equal(effectivePerTryTimeoutMs(p, 15_000), 2000);
  assert.equal(effectivePerTryTimeoutMs(p, 2000), 0);
  assert.equal(effectivePerTryTimeoutMs(p, 0), 2000, 'a disabled route timeout leaves the per-try timeout in force');
  assert.equal(effectivePerTryTimeoutMs(undefined, 15_000), 0);
});
