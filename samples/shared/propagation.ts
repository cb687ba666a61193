/**
 * Header propagation: which incoming headers an app copies onto its outgoing calls, so that the
 * mesh can join traces (W3C trace context, B3), keep `x-request-id` and route by user.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Trace context headers every sample app propagates (Istio's list for its Bookinfo apps). */
export const TRACE_HEADERS: readonly string[] = [
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'b3',
  'x-ot-span-context',
  'x-cloud-trace-context',
  'grpc-trace-bin',
  'sw8',
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
];

/** Request-context headers Bookinfo forwards besides trace context. */
export const CONTEXT_HEADERS: readonly string[] = ['end-user', 'user-agent', 'cookie'];

/** Copies the named headers (lower-case names) that are present in `incoming`. */
export function pickHeaders(incoming: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value) && value.length > 0) out[name] = name === 'cookie' ? value.join('; ') : value.join(', ');
  }
  return out;
}
