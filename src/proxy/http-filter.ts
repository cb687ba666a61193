/**
 * The HTTP filter chain's interface. Each filter sees the request headers once, in order, and
 * either lets the next one run or takes over the request (a local reply, or the router's upstream
 * call). Fault injection, CORS, authorization and stats filters slot in before the router.
 */
import type { ProxyStream } from './proxy-stream.js';

/** What a filter returns: continue with the next filter, or stop (the filter owns the request). */
export const FilterStatus = { Continue: 0, Stop: 1 } as const;
/** One of {@link FilterStatus}'s values. */
export type FilterStatus = (typeof FilterStatus)[keyof typeof FilterStatus];

/** One HTTP filter. Implementations keep no per-request state outside the stream. */
export interface HttpFilter {
  readonly name: string;
  /** Called once per request with its headers; may throw ProxyError to send a local reply. */
  decodeHeaders(stream: ProxyStream): FilterStatus;
}
