import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ROUTE_TIMEOUT_MS } from './defaults.js';
import { routeTimeoutMs, timeoutWithOverride } from './route-timeout.js';

test("routeTimeoutMs: the route's timeout, Envoy's 15 s when unset, 0 = disabled", () => {
  assert.equal(DEFAULT_ROUTE_TIMEOUT_MS, 15_000);
  assert.equal(routeTimeoutMs({ cluster: 'c' }), 15_000);
  assert.equal(routeTimeoutMs({ cluster: 'c', timeout: {} }), 0);
  assert.equal(routeTimeoutMs({ cluster: 'c', timeout: { seconds: 2, nanos: 500_000_000 } }), 2500);
  assert.equal(routeTimeoutMs({ cluster: 'c', timeout: { seconds: -1 } }), 15_000);
});

test('timeoutWithOverride: x-envoy-upstream-rq-timeout-ms replaces the route timeout when a non-negative integer', () => {
  assert.equal(timeoutWithOverride(15_000, undefined), 15_000);
  assert.equal(timeoutWithOverride(15_000, '250'), 250);
  assert.equal(timeoutWithOverride(15_000, '0'), 0);
  assert.equal(timeoutWithOverride(15_000, ['100', '200']), 100);
  assert.equal(timeoutWithOverride(15_000, '-1'), 15_000);
  assert.equal(timeoutWithOverride(15_000, '1.5'), 15_000);
  assert.equal(timeoutWithOverride(15_000, 'soon'), 15_000);
});
