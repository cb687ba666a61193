/**
 * The HTTP filter API, after Envoy's `StreamDecoderFilter` (envoy/http/filter.h): each filter sees
 * the request headers once, in chain order, through a read-only {@link StreamInfo}, and either lets
 * the next one run (`Continue`) or stops the chain (`StopIteration`): it replied, or it resumes the
 * chain later through its {@link FilterCallbacks} (`continueDecoding()`, as Envoy's
 * `StreamDecoderFilterCallbacks`). Response-header hooks (`encodeHeaders`) are registered per
 * request. Leaf contract: imports nothing from the rest of the proxy, so filters, access logs and
 * tracing depend on it and not on the connection manager.
 */
import type { MutableHeaders } from '../../envoy/header-ops.js';
import type { ActiveSpan } from './active-span.js';
import type { ProxyError } from './local-reply.js';
import type { StreamInfo } from './stream-info.js';

/** What a filter returns: continue with the next filter, or stop (the filter owns the request). */
export const FilterStatus = { Continue: 0, Stop: 1 } as const;
/** One of {@link FilterStatus}'s values. */
export type FilterStatus = (typeof FilterStatus)[keyof typeof FilterStatus];

/** One filter's response-header hook for one request. */
export interface ResponseHeaderEncoder {
  /** Index in the chain of the filter that registered it ({@link FilterCallbacks.filterIndex}). */
  readonly filterIndex: number;
  /** Edits the response headers before they are written downstream. */
  encodeHeaders(headers: MutableHeaders): void;
}

/**
 * What a filter decides once a delay it asked for ({@link FilterCallbacks.delayDecoding}) elapsed;
 * may throw a {@link ProxyError} to send a local reply.
 */
export type DelayedDecision<A> = (info: StreamInfo, callbacks: FilterCallbacks, arg: A) => FilterStatus;

/** What a filter may do to its stream (Envoy's `StreamDecoderFilterCallbacks`). */
export interface FilterCallbacks {
  /** Index in the chain of the filter now deciding. */
  readonly filterIndex: number;
  /** Resumes the chain after the filter that stopped it (no-op once replied). */
  continueDecoding(): void;
  /** Sends a local error reply (or resets the stream once the response started). */
  sendLocalReply(reply: ProxyError): void;
  /**
   * Sends a locally generated non-error reply: a redirect (`location`), a direct response, or with
   * `headers` and `details` a reply such as a CORS preflight (details `cors_response`).
   */
  sendDirectReply(status: number, location: string | undefined, body: string | undefined, headers?: Readonly<Record<string, string>>, details?: string): void;
  /** Registers a response-header hook of the filter now deciding. */
  addEncoder(encoder: ResponseHeaderEncoder): void;
  /** Adds an Envoy response flag (`DI`…). */
  addResponseFlag(flag: string): void;
  /** Replaces the request path (path normalization): later filters, route match and upstream see it. */
  setPath(path: string): void;
  /** Sets the span the tracing filter opened for this request (Envoy's `activeSpan()`). */
  setActiveSpan(span: ActiveSpan): void;
  /**
   * Pauses the chain for `ms` (fault delay); then `decide(info, callbacks, arg)` runs, and the chain
   * continues when it returns Continue. The timer is the stream's, cleared when the stream ends.
   */
  delayDecoding<A>(ms: number, decide: DelayedDecision<A>, arg: A): void;
}

/** One HTTP filter. Implementations keep no per-request state outside the stream. */
export interface HttpFilter {
  readonly name: string;
  /** Called once per request with its headers; may throw ProxyError to send a local reply. */
  decodeHeaders(info: StreamInfo, callbacks: FilterCallbacks): FilterStatus;
}
