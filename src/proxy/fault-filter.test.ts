import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../envoy/types.js';
import { faultOf } from './fault-filter.js';
import { fractionHit } from './fractional-percent.js';
import { shadowHost } from './mirror.js';

test('fractionHit: denominators, bounds, absent percentage', () => {
  assert.equal(fractionHit(undefined, true), true);
  assert.equal(fractionHit(undefined, false), false);
  assert.equal(fractionHit({ numerator: 0 }, true), false);
  assert.equal(fractionHit({ numerator: 100 }, false), true);
  assert.equal(fractionHit({ numerator: 500_000, denominator: 'MILLION' }, false, () => 0.49), true);
  assert.equal(fractionHit({ numerator: 500_000, denominator: 'MILLION' }, false, () => 0.5), false);
  assert.equal(fractionHit({ numerator: 1, denominator: 'TEN_THOUSAND' }, false, () => 0.00009), true);
});

test('faultOf: compiled once per route; no config → undefined', () => {
  const route: Route = { match: { prefix: '/' }, typedPerFilterConfig: { 'envoy.filters.http.fault': { '@type': 't', delay: { fixedDelay: { nanos: 5_000_000 }, percentage: { numerator: 100 } } } } };
  const f = faultOf(route)!;
  assert.equal(f.delayMs, 5);
  assert.equal(faultOf(route), f);
  assert.equal(faultOf({ match: { prefix: '/' } }), undefined);
});

test('shadowHost: -shadow on the host part, before the port', () => {
  assert.equal(shadowHost('httpbin'), 'httpbin-shadow');
  assert.equal(shadowHost('httpbin:8000'), 'httpbin-shadow:8000');
  assert.equal(shadowHost('httpbin.default.svc.cluster.local:8000'), 'httpbin.default.svc.cluster.local-shadow:8000');
  assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
});
