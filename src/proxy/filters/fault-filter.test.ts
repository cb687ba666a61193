import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_FILTER_NAME } from '../../envoy/fault-policy.js';
import type { HttpFault } from '../../envoy/types/route.js';
import type { Route, VirtualHost } from '../../envoy/types.js';
import { FaultFilter } from './fault-filter.js';
import { FilterStatus } from '../http/filter.js';
import { GrpcProxyError, ProxyError } from '../http/local-reply.js';
import { stubStream } from '../http/testing/stub-stream.js';

const vh: VirtualHost = { name: 'vh', domains: ['*'] };
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const route = (fault: HttpFault | undefined): Route => ({
  name: 'r', match: { prefix: '/' }, route: { cluster: 'c' },
  ...(fault ? { typedPerFilterConfig: { [FAULT_FILTER_NAME]: { '@type': FAULT, ...fault } } } : {}),
});
const ALL = { numerator: 100 };

test('fault: no fault on the route → continue, nothing recorded', () => {
  const st = stubStream({ route: route(undefined), virtualHost: vh });
  assert.equal(new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), FilterStatus.Continue);
  assert.equal(st.info.responseFlags, '-');
  assert.equal(st.delay, undefined);
});

test('fault: an abort at 100 % throws the local reply (status, flag FI, details fault_filter_abort)', () => {
  const st = stubStream({ route: route({ abort: { httpStatus: 418, percentage: ALL } }), virtualHost: vh });
  assert.throws(() => new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), (err: unknown) => {
    assert.ok(err instanceof ProxyError);
    assert.deepEqual([err.status, err.flag, err.details], [418, 'FI', 'fault_filter_abort']);
    return true;
  });
});

test('fault: a gRPC abort is a GrpcProxyError with the grpc-status', () => {
  const st = stubStream({ route: route({ abort: { grpcStatus: 14, percentage: ALL } }), virtualHost: vh });
  assert.throws(() => new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), (err: unknown) => err instanceof GrpcProxyError && err.grpcStatus === 14);
});

test('fault: a delay stops the chain with flag DI on the stream\'s timer; the abort is decided after it', () => {
  const st = stubStream({ route: route({ delay: { fixedDelay: { seconds: 2 }, percentage: ALL }, abort: { httpStatus: 503, percentage: ALL } }), virtualHost: vh });
  assert.equal(new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), FilterStatus.Stop);
  assert.equal(st.info.responseFlags, 'DI');
  assert.equal(st.delay?.ms, 2000);
  assert.throws(() => st.delay!.fire(), (err: unknown) => err instanceof ProxyError && err.status === 503);
});

test('fault: a delay without abort continues the chain once elapsed', () => {
  const st = stubStream({ route: route({ delay: { fixedDelay: { nanos: 500_000_000 }, percentage: ALL } }), virtualHost: vh });
  assert.equal(new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), FilterStatus.Stop);
  assert.equal(st.delay?.ms, 500);
  assert.equal(st.delay!.fire(), FilterStatus.Continue);
});

test('fault: percentages are sampled with the filter\'s random source (delay 50 %: 0.49 delays, 0.5 does not)', () => {
  const cfg = route({ delay: { fixedDelay: { seconds: 1 }, percentage: { numerator: 50 } } });
  const hit = stubStream({ route: cfg, virtualHost: vh });
  assert.equal(new FaultFilter(() => 0.49).decodeHeaders(hit.info, hit.callbacks), FilterStatus.Stop);
  const miss = stubStream({ route: cfg, virtualHost: vh });
  assert.equal(new FaultFilter(() => 0.5).decodeHeaders(miss.info, miss.callbacks), FilterStatus.Continue);
  assert.equal(miss.delay, undefined);
});

test('fault: the virtual host\'s fault applies when the route has none', () => {
  const vhFault: VirtualHost = { ...vh, typedPerFilterConfig: { [FAULT_FILTER_NAME]: { '@type': FAULT, abort: { httpStatus: 500, percentage: ALL } } } };
  const st = stubStream({ route: route(undefined), virtualHost: vhFault });
  assert.throws(() => new FaultFilter(() => 0).decodeHeaders(st.info, st.callbacks), (err: unknown) => err instanceof ProxyError && err.status === 500);
});
