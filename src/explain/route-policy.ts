/**
 * The per-route policies of a simulated request turned into plain data: fault (delay/abort with
 * their percentages), retries (attempts, retryOn, per-try timeout, and why they are off), hash
 * policy keys and header operations. Envoy's representation is read back into Istio's terms.
 */
import type { FractionalPercent, HashPolicy, HeaderValueOption, HttpFault, RetryPolicy } from '../envoy/types.js';
import { durationMs } from '../envoy/types.js';
import type { ExplainedFault, ExplainedRetries } from './types.js';

const DENOMINATORS: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

/**
 * A FractionalPercent as a percentage (0–100). Absent = 0: Envoy's fault filter reads an unset
 * `percentage` as the proto default (numerator 0), and Istio documents that an abort or delay
 * without `percentage` injects nothing (istio/api virtual_service.proto HTTPFaultInjection; the
 * proxy's fault filter does the same).
 */
export function percentOf(p: FractionalPercent | undefined): number {
  if (!p) return 0;
  return Math.round(((p.numerator ?? 0) / (DENOMINATORS[p.denominator ?? 'HUNDRED'] ?? 100)) * 100 * 10_000) / 10_000;
}

/** The fault in force, in ms and percent. */
export function describeFault(fault: HttpFault | undefined): ExplainedFault | undefined {
  if (!fault || (!fault.delay && !fault.abort)) return undefined;
  return {
    ...(fault.delay ? { delay: { ms: durationMs(fault.delay.fixedDelay) ?? 0, percent: percentOf(fault.delay.percentage) } } : {}),
    ...(fault.abort
      ? {
          abort: {
            ...(fault.abort.httpStatus !== undefined ? { httpStatus: fault.abort.httpStatus } : {}),
            ...(fault.abort.grpcStatus !== undefined ? { grpcStatus: fault.abort.grpcStatus } : {}),
            percent: percentOf(fault.abort.percentage),
          },
        }
      : {}),
  };
}

/**
 * The retries in force. A fault on the route does not turn them off (istiod route.go keeps the
 * rule's retries and timeout; they apply to the requests the fault spares), so `_fault` no longer
 * changes the answer; it stays in the signature for callers.
 */
export function describeRetries(policy: RetryPolicy | undefined, _fault?: ExplainedFault): ExplainedRetries {
  if (!policy) return { attempts: 0, retryOn: '', retriableStatusCodes: [], offReason: 'the route has no retry policy' };
  const attempts = policy.numRetries?.value ?? 1;
  const perTry = durationMs(policy.perTryTimeout);
  return {
    attempts,
    retryOn: policy.retryOn ?? '',
    retriableStatusCodes: policy.retriableStatusCodes ?? [],
    ...(perTry !== undefined && perTry > 0 ? { perTryTimeoutMs: perTry } : {}),
    ...(attempts === 0 ? { offReason: 'retries.attempts is 0' } : {}),
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
