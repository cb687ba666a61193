/**
 * Converts Istio's HTTPFaultInjection into the per-route config of Envoy's fault filter
 * (`envoy.filters.http.fault` HTTPFault), as istiod's TranslateFault: a fixed delay and/or an abort
 * with an HTTP or gRPC status, each with its percentage as a FractionalPercent over a million. An
 * unset delay percentage becomes 0 % (injects nothing); exponential delays and HTTP/2 errors are not
 * supported (istiod drops them too); a fault with neither part is no fault.
 */
import type { HTTPFaultInjection } from '../../config/schema/virtual-service.js';
import type { HttpFault } from '../../envoy/types/route.js';
import { integerPercentToFraction, percentToFraction } from '../../envoy/fractional-percent.js';
import { convertDuration } from './durations.js';

/** gRPC status codes by name, as Istio's validation accepts them. */
export const GRPC_STATUS: Readonly<Record<string, number>> = Object.freeze({
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
});

/** Converts a fault policy; undefined when nothing is injectable. */
export function convertFault(fault: HTTPFaultInjection | undefined): HttpFault | undefined {
  if (!fault) return undefined;
  let delay: HttpFault['delay'];
  if (fault.delay) {
    const fixed = convertDuration(fault.delay.fixedDelay);
    if (fixed) {
      delay = {
        fixedDelay: fixed,
        percentage: fault.delay.percentage ? percentToFraction(fault.delay.percentage.value) : integerPercentToFraction(0),
      };
    }
  }
  let abort: HttpFault['abort'];
  if (fault.abort) {
    const percentage = fault.abort.percentage ? { percentage: percentToFraction(fault.abort.percentage.value) } : {};
    if (fault.abort.httpStatus !== undefined) abort = { httpStatus: fault.abort.httpStatus, ...percentage };
    else if (fault.abort.grpcStatus !== undefined) {
      const code = /^\d+$/.test(fault.abort.grpcStatus) ? Number(fault.abort.grpcStatus) : GRPC_STATUS[fault.abort.grpcStatus.toUpperCase()];
      if (code !== undefined) abort = { grpcStatus: code, ...percentage };
    }
  }
  if (!delay && !abort) return undefined;
  return { ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}
