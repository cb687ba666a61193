/**
 * The per-route policies of a simulated request turned into plain data: fault (delay/abort with
 * their percentages), retries (attempts, retryOn, per-try timeout, and why they are off), hash
 * policy keys and header operations. Envoy's representation is read back into Istio's terms with
 * the proxy's own compilers (`src/envoy/fault-policy.ts`, `src/envoy/retry-policy.ts`,
 * `src/envoy/fractional-percent.ts`), so what explain says is what the proxy does.
 */
import { durationMs } from '../envoy/duration.js';
import { compileFault } from '../envoy/fault-policy.js';
import { fractionPercent } from '../envoy/fractional-percent.js';
import { compileRetryPolicy, effectivePerTryTimeoutMs } from '../envoy/retry-policy.js';
import type { FractionalPercent, HashPolicy, HeaderValueOption, HttpFault, RetryPolicy } from '../envoy/types.js';
import type { ExplainedFault, ExplainedRetries } from './types.js';

/**
 * A FractionalPercent as a percentage (0–100). Absent = 0: Envoy's fault filter reads an unset
 * `percentage` as the proto default (numerator 0), and Istio documents that an abort or delay
 * without `percentage` injects nothing (istio/api virtual_service.proto HTTPFaultInjection).
 */
export function percentOf(p: FractionalPercent | undefined): number {
  return fractionPercent(p, 0);
}

/** The fault in force, in ms and percent, as the proxy's fault filter injects it (a part that can inject nothing is left out). */
export function describeFault(fault: HttpFault | undefined): ExplainedFault | undefined {
  const f = compileFault(fault);
  if (!f) return undefined;
  const abort = f.abortWith;
  if (f.delayMs <= 0 && !abort) return undefined;
  return {
    ...(f.delayMs > 0 ? { delay: { ms: f.delayMs, percent: f.delayPercent } } : {}),
    ...(abort ? { abort: { ...abort, percent: f.abortPercent } } : {}),
  };
}

/**
 * The retries in force under a route timeout of `timeoutMs`, as the proxy's router compiles them:
 * a policy with no retry condition (empty or unknown `retryOn`) retries nothing; `numRetries`
 * absent is 1, present without a value 0; a per-try timeout not shorter than the route timeout is
 * ignored. A fault on the route does not turn retries off (istiod route.go keeps the rule's retries
 * and timeout; they apply to the requests the fault spares).
 */
export function describeRetries(policy: RetryPolicy | undefined, timeoutMs: number): ExplainedRetries {
  if (!policy) return { attempts: 0, retryOn: '', retriableStatusCodes: [], offReason: 'the route has no retry policy' };
  const rt = compileRetryPolicy(policy);
  const retryOn = policy.retryOn ?? '';
  const codes = policy.retriableStatusCodes ?? [];
  if (!rt) return { attempts: 0, retryOn, retriableStatusCodes: codes, offReason: `no retry condition Envoy knows in retryOn "${retryOn}"` };
  const perTry = effectivePerTryTimeoutMs(rt, timeoutMs);
  return {
    attempts: rt.numRetries,
    retryOn,
    retriableStatusCodes: codes,
    ...(perTry > 0 ? { perTryTimeoutMs: perTry } : {}),
    ...(rt.numRetries === 0 ? { offReason: 'retries.attempts is 0' } : {}),
  };
}

/** `header x-user`, `cookie user (ttl 10s)`, `source IP`, `query id`. */
export function describeHashPolicy(list: readonly HashPolicy[] | undefined): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((h) => {
    if (h.header) return `header ${h.header.headerName}`;
    if (h.cookie) {
      const ttl = durationMs(h.cookie.ttl);
      return `cookie ${h.cookie.name}${ttl !== undefined ? ` (ttl ${ttl / 1000}s${h.cookie.path ? `, path ${h.cookie.path}` : ''})` : ''}`;
    }
    if (h.connectionProperties?.sourceIp) return 'source IP';
    if (h.queryParameter) return `query ${h.queryParameter.name}`;
    return 'hash';
  });
}

/** `name: value` for each header added. */
export function describeHeaders(ops: readonly HeaderValueOption[] | undefined): string[] | undefined {
  if (!ops || ops.length === 0) return undefined;
  return ops.map((o) => `${o.header?.key ?? ''}: ${o.header?.value ?? ''}`);
}
