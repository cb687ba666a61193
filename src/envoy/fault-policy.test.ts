import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route, VirtualHost } from './types.js';
import { abortInjected, compileFault, delayInjected, faultOf, FAULT_FILTER_NAME, routeFault } from './fault-policy.js';

const withFault = (cfg: object): Route => ({ match: { prefix: '/' }, typedPerFilterConfig: { [FAULT_FILTER_NAME]: { '@type': 't', ...cfg } } });

test('faultOf: compiled once per route; no config → undefined', () => {
  const route = withFault({ delay: { fixedDelay: { nanos: 5_000_000 }, percentage: { numerator: 100 } } });
  const f = faultOf(route)!;
  assert.equal(f.delayMs, 5);
  assert.equal(f.delayPercent, 100);
  assert.equal(faultOf(route), f);
  assert.equal(faultOf({ match: { prefix: '/' } }), undefined);
});

test('a delay or abort without a percentage injects nothing (proto default numerator 0)', () => {
  const f = compileFault({ delay: { fixedDelay: { seconds: 1 } }, abort: { httpStatus: 503 } })!;
  assert.equal(f.delayPercent, 0);
  assert.equal(f.abortPercent, 0);
  assert.deepEqual(f.abortWith, { httpStatus: 503 });
  assert.equal(delayInjected(f, () => 0), false);
  assert.equal(abortInjected(f, () => 0), undefined);
});

test('abort: HTTP status, else gRPC status; HTTP 0 and no status inject nothing', () => {
  const http = compileFault({ abort: { httpStatus: 418, percentage: { numerator: 250_000, denominator: 'MILLION' } } })!;
  assert.equal(http.abortPercent, 25);
  assert.deepEqual(abortInjected(http, () => 0.2), { httpStatus: 418 });
  assert.equal(abortInjected(http, () => 0.25), undefined);
  const grpc = compileFault({ abort: { httpStatus: 0, grpcStatus: 14, percentage: { numerator: 100 } } })!;
  assert.deepEqual(abortInjected(grpc, () => 0.99), { grpcStatus: 14 });
  const none = compileFault({ abort: { percentage: { numerator: 100 } } })!;
  assert.equal(none.abortWith, undefined);
  assert.equal(none.abortPercent, 0);
  assert.equal(abortInjected(none, () => 0), undefined);
  assert.equal(compileFault({}), undefined);
});

test('a delay of 0 injects nothing; a percentage above the denominator is 100 %', () => {
  const zero = compileFault({ delay: { fixedDelay: {}, percentage: { numerator: 100 } } })!;
  assert.equal(zero.delayPercent, 0);
  assert.equal(delayInjected(zero, () => 0), false);
  const over = compileFault({ delay: { fixedDelay: { seconds: 1 }, percentage: { numerator: 150 } } })!;
  assert.equal(over.delayPercent, 100);
  assert.equal(delayInjected(over, () => 0.999), true);
});

test("routeFault: the route's config, else the virtual host's", () => {
  const vh: VirtualHost = { name: 'vh', domains: ['*'], typedPerFilterConfig: { [FAULT_FILTER_NAME]: { '@type': 't', abort: { httpStatus: 500, percentage: { numerator: 100 } } } } };
  const plain: Route = { match: { prefix: '/' } };
  assert.deepEqual(routeFault(plain, vh)?.abortWith, { httpStatus: 500 });
  const own = withFault({ abort: { httpStatus: 404, percentage: { numerator: 100 } } });
  assert.deepEqual(routeFault(own, vh)?.abortWith, { httpStatus: 404 });
  assert.equal(routeFault(plain, undefined), undefined);
});
