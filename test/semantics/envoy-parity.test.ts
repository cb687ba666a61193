/**
 * One table of Envoy semantics run three ways: through the proxy (its fault filter driven with a
 * swept random source, its router's compiled retry policy, route timeout and request header
 * mutations, its mirror sampling),
 * through the request simulator, and through `weft explain`'s reading of the simulation. Each case
 * states the answer Envoy gives; all three must give it. Pure logic, no sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_FILTER_NAME } from '../../src/envoy/fault-policy.js';
import { applyRequestHeaderMutations, type MutableHeaders } from '../../src/envoy/header-ops.js';
import { applyRetryHeaders, effectivePerTryTimeoutMs, routeRetryPolicy, wouldRetryFromHeaders, type RetryPolicyRuntime } from '../../src/envoy/retry-policy.js';
import { routeTimeoutMs } from '../../src/envoy/route-timeout.js';
import type { Listener, Route, RouteAction, RouteConfiguration, VirtualHost } from '../../src/envoy/types.js';
import { outboundOf } from '../../src/explain/explain.js';
import type { ExplainedOutbound } from '../../src/explain/types.js';
import { FaultFilter } from '../../src/proxy/filters/fault-filter.js';
import { FilterStatus } from '../../src/proxy/http/filter.js';
import { GrpcProxyError, ProxyError } from '../../src/proxy/http/local-reply.js';
import { mirrorSampled } from '../../src/proxy/hcm/mirror.js';
import { stubStream } from '../../src/proxy/http/testing/stub-stream.js';
import { simulate } from '../../src/simulate/simulate.js';
import type { SimSuccess } from '../../src/simulate/types.js';
import type { XdsResources } from '../../src/translate/translate.js';

/** A probe response for retry-on sets: an HTTP status, with a grpc-status header when given. */
type Probe = { readonly status: number; readonly grpc?: number };
const PROBES: readonly Probe[] = [{ status: 500 }, { status: 502 }, { status: 503 }, { status: 504 }, { status: 409 }, { status: 200, grpc: 14 }, { status: 200, grpc: 4 }];
const probeName = (p: Probe) => (p.grpc !== undefined ? `grpc ${p.grpc}` : String(p.status));

interface Case {
  readonly name: string;
  /** Fields of the RouteAction besides its cluster. */
  readonly action?: Partial<RouteAction>;
  /** Fields of the route (typedPerFilterConfig for faults). */
  readonly route?: Partial<Route>;
  /** Fields of the virtual host. */
  readonly vh?: Partial<VirtualHost>;
  readonly expect: {
    readonly timeoutMs: number;
    /** Retries after the first try (0 = off), effective per-try timeout (0 = none), and which probes are retried. */
    readonly retries?: { readonly attempts: number; readonly perTryMs: number; readonly on: readonly string[] };
    /** Percent of requests delayed / aborted, and the abort's answer. */
    readonly delay?: { readonly ms: number; readonly percent: number };
    readonly abort?: { readonly percent: number; readonly httpStatus?: number; readonly grpcStatus?: number };
    /** Percent mirrored, per mirror policy. */
    readonly mirrors?: readonly number[];
    /** Request headers the upstream request gains / loses. */
    readonly headers?: { readonly added: readonly string[]; readonly removed: readonly string[] };
  };
  /** Fields of the route configuration. */
  readonly rc?: Partial<RouteConfiguration>;
}

const fault = (cfg: object): Partial<Route> => ({ typedPerFilterConfig: { [FAULT_FILTER_NAME]: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', ...cfg } } });
const million = (numerator: number) => ({ numerator, denominator: 'MILLION' as const });

const CASES: readonly Case[] = [
  // Default and explicit route timeouts (Duration parsing included).
  { name: 'no timeout: Envoy default 15 s', expect: { timeoutMs: 15_000 } },
  { name: 'timeout 0 disables', action: { timeout: { seconds: 0 } }, expect: { timeoutMs: 0 } },
  { name: 'timeout 2.5 s (seconds + nanos)', action: { timeout: { seconds: 2, nanos: 500_000_000 } }, expect: { timeoutMs: 2500 } },
  { name: 'timeout with int64 seconds as a string', action: { timeout: { seconds: '3' as unknown as number } }, expect: { timeoutMs: 3000 } },
  { name: 'negative timeout reads as unset: the default', action: { timeout: { seconds: -1 } }, expect: { timeoutMs: 15_000 } },
  // Retry-on sets, attempts and per-try timeouts.
  {
    name: 'retryOn 5xx, 3 attempts, per-try 1 s under a 5 s timeout',
    action: { timeout: { seconds: 5 }, retryPolicy: { retryOn: '5xx', numRetries: { value: 3 }, perTryTimeout: { seconds: 1 } } },
    expect: { timeoutMs: 5000, retries: { attempts: 3, perTryMs: 1000, on: ['500', '502', '503', '504'] } },
  },
  {
    name: 'gateway-error,retriable-4xx; numRetries unset is 1',
    action: { retryPolicy: { retryOn: 'gateway-error,retriable-4xx' } },
    expect: { timeoutMs: 15_000, retries: { attempts: 1, perTryMs: 0, on: ['502', '503', '504', '409'] } },
  },
  {
    name: 'retriable-status-codes with codes, gRPC unavailable',
    action: { retryPolicy: { retryOn: 'retriable-status-codes,unavailable', retriableStatusCodes: [503], numRetries: { value: 2 } } },
    expect: { timeoutMs: 15_000, retries: { attempts: 2, perTryMs: 0, on: ['503', 'grpc 14'] } },
  },
  {
    name: 'per-try timeout not shorter than the route timeout is ignored',
    action: { timeout: { seconds: 5 }, retryPolicy: { retryOn: 'connect-failure', numRetries: { value: 2 }, perTryTimeout: { seconds: 10 } } },
    expect: { timeoutMs: 5000, retries: { attempts: 2, perTryMs: 0, on: [] } },
  },
  {
    name: 'numRetries wrapper without a value is 0',
    action: { retryPolicy: { retryOn: '5xx', numRetries: {} } },
    expect: { timeoutMs: 15_000, retries: { attempts: 0, perTryMs: 0, on: ['500', '502', '503', '504'] } },
  },
  {
    name: 'retryOn with no condition Envoy knows retries nothing',
    action: { retryPolicy: { retryOn: 'bogus', numRetries: { value: 3 } } },
    expect: { timeoutMs: 15_000, retries: { attempts: 0, perTryMs: 0, on: [] } },
  },
  {
    name: "virtual host's retry policy when the route has none",
    vh: { retryPolicy: { retryOn: 'reset,503', numRetries: { value: 4 } } },
    expect: { timeoutMs: 15_000, retries: { attempts: 4, perTryMs: 0, on: [] } },
  },
  // Fault percentages.
  {
    name: 'abort 503 for 50 % (over a million)',
    route: fault({ abort: { httpStatus: 503, percentage: million(500_000) } }),
    expect: { timeoutMs: 15_000, abort: { percent: 50, httpStatus: 503 } },
  },
  { name: 'abort without percentage injects nothing', route: fault({ abort: { httpStatus: 500 } }), expect: { timeoutMs: 15_000 } },
  {
    name: 'gRPC abort for 25 % (over ten thousand)',
    route: fault({ abort: { grpcStatus: 14, percentage: { numerator: 2500, denominator: 'TEN_THOUSAND' } } }),
    expect: { timeoutMs: 15_000, abort: { percent: 25, grpcStatus: 14 } },
  },
  {
    name: 'delay 2 s for 10 %',
    route: fault({ delay: { fixedDelay: { seconds: 2 }, percentage: million(100_000) } }),
    expect: { timeoutMs: 15_000, delay: { ms: 2000, percent: 10 } },
  },
  { name: 'delay without percentage injects nothing', route: fault({ delay: { fixedDelay: { seconds: 1 } } }), expect: { timeoutMs: 15_000 } },
  {
    name: 'percentage above its denominator is 100 %',
    route: fault({ abort: { httpStatus: 418, percentage: { numerator: 150 } } }),
    expect: { timeoutMs: 15_000, abort: { percent: 100, httpStatus: 418 } },
  },
  {
    name: "virtual host's fault when the route has none",
    vh: fault({ abort: { httpStatus: 500, percentage: { numerator: 100 } } }) as Partial<VirtualHost>,
    expect: { timeoutMs: 15_000, abort: { percent: 100, httpStatus: 500 } },
  },
  // Header operations at every level.
  {
    name: 'request header mutations of the route configuration, virtual host and route',
    rc: { requestHeadersToAdd: [{ header: { key: 'x-rc', value: '1' } }], requestHeadersToRemove: ['x-drop-rc'] },
    vh: { requestHeadersToAdd: [{ header: { key: 'x-vh', value: '2' } }] },
    route: { requestHeadersToAdd: [{ header: { key: 'x-route', value: '3' } }], requestHeadersToRemove: ['x-drop-route'] },
    expect: { timeoutMs: 15_000, headers: { added: ['x-rc', 'x-route', 'x-vh'], removed: ['x-drop-rc', 'x-drop-route'] } },
  },
  // Mirror percentages.
  {
    name: 'mirrors: no fraction = 100 %, 1/10000, over-full fraction = 100 %',
    action: { requestMirrorPolicies: [{ cluster: 'c' }, { cluster: 'c', runtimeFraction: { defaultValue: { numerator: 1, denominator: 'TEN_THOUSAND' } } }, { cluster: 'c', runtimeFraction: { defaultValue: { numerator: 250 } } }] },
    expect: { timeoutMs: 15_000, mirrors: [100, 0.01, 100] },
  },
];

/** Random values spread evenly over [0, 1): shares sampled on them are exact to 1/N. */
const N = 10_000;
const grid = (i: number) => (i + 0.5) / N;
const share = (hits: number) => Math.round((hits / N) * 100 * 10_000) / 10_000;

function build(c: Case): { resources: XdsResources; action: RouteAction; route: Route; vh: VirtualHost; rc: RouteConfiguration } {
  const action: RouteAction = { cluster: 'c', ...c.action };
  const route: Route = { name: 'r', match: { prefix: '/' }, route: action, ...c.route };
  const vh: VirtualHost = { name: 'vh', domains: ['*'], routes: [route], ...c.vh };
  const rc: RouteConfiguration = { name: '9080', virtualHosts: [vh], ...c.rc };
  const hcm = { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', statPrefix: 'p', routeConfig: rc };
  const listener = {
    name: '0.0.0.0_9080',
    address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } },
    filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: hcm }] }],
  } as unknown as Listener;
  return { resources: { listeners: [listener], routes: [rc], clusters: [{ name: 'c' }], endpoints: [] }, action, route, vh, rc };
}

/** The proxy's answers: its router's compiled policy, its fault filter and mirror sampling swept over the grid. */
function proxyAnswer(action: RouteAction, route: Route, vh: VirtualHost, rc: RouteConfiguration) {
  const timeoutMs = routeTimeoutMs(action);
  const policy: RetryPolicyRuntime | undefined = applyRetryHeaders(routeRetryPolicy(action, vh), {});
  let delayed = 0;
  let aborted = 0;
  let abortWith: { httpStatus?: number; grpcStatus?: number } | undefined;
  for (let i = 0; i < N; i++) {
    const r = grid(i);
    // The fault filter samples the delay, then (when not delayed) the abort, each with its own draw.
    const stream = stubStream({ route, virtualHost: vh });
    try {
      const status = new FaultFilter(() => r).decodeHeaders(stream.info, stream.callbacks);
      if (status === FilterStatus.Stop && stream.delay !== undefined) delayed++;
    } catch (err) {
      assert.ok(err instanceof ProxyError, String(err));
      aborted++;
      abortWith = err instanceof GrpcProxyError ? { grpcStatus: err.grpcStatus } : { httpStatus: err.status };
    }
  }
  const mirrors = (action.requestMirrorPolicies ?? []).map((p) => {
    let hits = 0;
    for (let i = 0; i < N; i++) if (mirrorSampled(p, () => grid(i))) hits++;
    return share(hits);
  });
  const before: MutableHeaders = { 'x-drop-rc': 'a', 'x-drop-route': 'b', 'x-keep': 'c' };
  const after: MutableHeaders = { ...before };
  applyRequestHeaderMutations(after, rc, vh, route, undefined);
  return {
    headersAdded: Object.keys(after).filter((k) => !(k in before)).sort(),
    headersRemoved: Object.keys(before).filter((k) => !(k in after)).sort(),
    timeoutMs,
    attempts: policy?.numRetries ?? 0,
    perTryMs: policy ? effectivePerTryTimeoutMs(policy, timeoutMs) : 0,
    on: policy ? PROBES.filter((p) => wouldRetryFromHeaders(policy, p.status, p.grpc !== undefined ? { 'grpc-status': String(p.grpc) } : {})).map(probeName) : [],
    retriesOn: policy !== undefined,
    delayPercent: share(delayed),
    abortPercent: share(aborted),
    abortWith,
    mirrors,
  };
}

for (const c of CASES) {
  test(`proxy, simulator and explain agree: ${c.name}`, () => {
    const { resources, action, route, vh, rc } = build(c);
    const proxy = proxyAnswer(action, route, vh, rc);
    const simResult = simulate(resources, { destination: 'svc:9080', path: '/' });
    assert.ok(simResult.ok, JSON.stringify(simResult));
    const sim = simResult as SimSuccess;
    const ex: ExplainedOutbound = outboundOf(sim, []);
    const e = c.expect;

    // Route timeout.
    assert.equal(proxy.timeoutMs, e.timeoutMs, 'proxy timeout');
    assert.equal(sim.timeoutMs, e.timeoutMs, 'simulator timeout');
    assert.equal(ex.timeoutMs, e.timeoutMs, 'explain timeout');

    // Retries.
    const r = e.retries ?? { attempts: 0, perTryMs: 0, on: [] };
    assert.equal(proxy.attempts, r.attempts, 'proxy retries');
    assert.equal(proxy.perTryMs, r.perTryMs, 'proxy per-try timeout');
    assert.deepEqual(proxy.on, r.on, 'proxy retry-on set');
    assert.equal(ex.retries?.attempts, r.attempts, 'explain retries');
    assert.equal(ex.retries?.perTryTimeoutMs ?? 0, r.perTryMs, 'explain per-try timeout');
    assert.equal(ex.retries?.offReason === undefined, r.attempts > 0, `explain says retries are ${r.attempts > 0 ? 'on' : 'off'}`);

    // Fault.
    assert.equal(proxy.delayPercent, e.delay?.percent ?? 0, 'proxy delay share');
    assert.equal(ex.fault?.delay?.percent ?? 0, e.delay?.percent ?? 0, 'explain delay share');
    if (e.delay) assert.equal(ex.fault?.delay?.ms, e.delay.ms, 'explain delay');
    assert.equal(proxy.abortPercent, e.delay ? 0 : e.abort?.percent ?? 0, 'proxy abort share');
    assert.equal(ex.fault?.abort?.percent ?? 0, e.abort?.percent ?? 0, 'explain abort share');
    if (e.abort) {
      const want = e.abort.httpStatus !== undefined ? { httpStatus: e.abort.httpStatus } : { grpcStatus: e.abort.grpcStatus };
      assert.deepEqual(proxy.abortWith, want, 'proxy abort answer');
      assert.deepEqual({ httpStatus: ex.fault?.abort?.httpStatus, grpcStatus: ex.fault?.abort?.grpcStatus }, { httpStatus: undefined, grpcStatus: undefined, ...want }, 'explain abort answer');
      assert.ok(sim.fault?.abort, 'the simulator reports the fault in force');
    }

    // Header operations.
    const h = e.headers ?? { added: [], removed: [] };
    assert.deepEqual(proxy.headersAdded, h.added, 'proxy headers added');
    assert.deepEqual(proxy.headersRemoved, h.removed, 'proxy headers removed');
    assert.deepEqual((sim.requestHeadersToAdd ?? []).map((o) => o.header?.key).sort(), h.added, 'simulator headers added');
    assert.deepEqual([...(sim.requestHeadersToRemove ?? [])].sort(), h.removed, 'simulator headers removed');
    assert.deepEqual((ex.headersAdded ?? []).map((l) => l.split(':')[0]).sort(), h.added, 'explain headers added');

    // Mirrors.
    assert.deepEqual(proxy.mirrors, e.mirrors ?? [], 'proxy mirror shares');
    assert.deepEqual((sim.mirrors ?? []).map((m) => m.percent), e.mirrors ?? [], 'simulator mirror shares');
  });
}
