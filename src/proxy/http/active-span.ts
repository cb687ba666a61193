/**
 * The span a connection manager opens for one request, as Envoy's HCM does with a tracer configured:
 * one span per proxy hop (Zipkin with `shared_span_context: false`, as istiod configures it), whose
 * id is the span id this proxy propagates upstream and whose parent is the span id the request
 * arrived with. It is reported when the response ends, if sampled (src/proxy/tracing/span-recorder.ts).
 */

/** An open span of one request. */
export interface ActiveSpan {
  /** 32 hex digits. */
  readonly traceId: string;
  /** This hop's span id (16 hex digits), the one written into the upstream trace headers. */
  readonly spanId: string;
  /** The span id the request arrived with, if it carried trace context. */
  readonly parentId: string | undefined;
  /** The sampling decision: only sampled spans are reported. */
  readonly sampled: boolean;
  /** Wall-clock start, microseconds since the epoch (Zipkin's `timestamp`). */
  readonly startUs: number;
}
