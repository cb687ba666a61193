/**
 * Trace context at the connection manager, as Envoy does it with a tracer configured (HCM
 * `tracing`): a request that carries W3C or B3 context continues that trace with a new span of this
 * proxy (same trace id, the incoming span as parent, the sampling decision kept); a request without
 * one starts a trace whose sampling follows `randomSampling` (decided on a hash of `x-request-id`,
 * Istio's `useRequestIdForTraceSampling`; `x-client-trace-id` uses `clientSampling`). Zipkin writes
 * B3 headers, OpenTelemetry `traceparent`; a family the request already carried is updated too, and
 * `tracestate` passes through. Without a tracer (Istio with no tracing provider) the filter does
 * nothing: trace headers reach the app exactly as they arrived. Spans are not exported.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FilterStatus, type FilterCallbacks, type HttpFilter } from '../http/filter.js';
import type { MutableHeaders } from '../../envoy/header-ops.js';
import type { ConnectionManagerInfo, StreamInfo } from '../http/stream-info.js';
import { formatTraceparent, newSpanId, newTraceId, parseB3, parseTraceparent } from './trace-context.js';
import type { TracingRuntime } from './tracing-config.js';
import type { ActiveSpan } from '../http/active-span.js';

/** FNV-1a of a string, for stable per-request-id sampling. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The sampling decision for a request that arrived without one. */
export function sampleDecision(t: TracingRuntime, requestId: string | undefined, clientTraceId: boolean): boolean {
  const pct = clientTraceId ? t.clientSamplingPct : t.randomSamplingPct;
  if (pct >= 100) return true;
  if (pct <= 0) return false;
  const bucket = requestId !== undefined && t.useRequestIdForTraceSampling ? hash(requestId) % 10000 : Math.floor(Math.random() * 10000);
  return bucket < pct * 100;
}

/** Applies the tracer's header handling to a request's headers and returns the span it opened (exported for tests). */
export function applyTraceHeaders(t: TracingRuntime, h: MutableHeaders): ActiveSpan {
  const startUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const w3c = parseTraceparent(typeof h['traceparent'] === 'string' ? h['traceparent'].trim().toLowerCase() : undefined);
  const b3 = parseB3(h as IncomingHttpHeaders);
  const incoming = t.style === 'w3c' ? w3c ?? b3 : b3 ?? w3c;
  const span = newSpanId();
  let traceId: string;
  let sampled: boolean;
  if (incoming !== undefined) {
    traceId = incoming.traceId;
    const rid = h['x-request-id'];
    sampled = incoming.sampled ?? sampleDecision(t, typeof rid === 'string' ? rid : undefined, false);
  } else {
    traceId = newTraceId();
    const rid = h['x-request-id'];
    sampled = sampleDecision(t, typeof rid === 'string' ? rid : undefined, h['x-client-trace-id'] !== undefined);
  }
  const writeB3 = t.style === 'b3' || b3 !== undefined;
  const writeW3c = t.style === 'w3c' || w3c !== undefined;
  if (writeB3) {
    if (b3?.source === 'b3-single') {
      h['b3'] = `${traceId}-${span}-${sampled ? '1' : '0'}-${b3.spanId}`;
    } else {
      h['x-b3-traceid'] = b3 !== undefined ? String(h['x-b3-traceid']).trim().toLowerCase() : traceId;
      h['x-b3-spanid'] = span;
      if (incoming !== undefined) h['x-b3-parentspanid'] = incoming.spanId;
      else delete h['x-b3-parentspanid'];
      h['x-b3-sampled'] = sampled ? '1' : '0';
    }
  }
  if (writeW3c) h['traceparent'] = formatTraceparent(traceId, span, sampled);
  return { traceId, spanId: span, parentId: incoming?.spanId, sampled, startUs };
}

/** The tracing filter; stateless, shared by all requests. */
export class TracingFilter implements HttpFilter {
  readonly name = 'weft.tracing';

  decodeHeaders(s: StreamInfo, cb: FilterCallbacks): FilterStatus {
    const t = tracingOf(s.connectionManager);
    if (t !== undefined) cb.setActiveSpan(applyTraceHeaders(t, s.headers as MutableHeaders));
    return FilterStatus.Continue;
  }
}

/** The tracing block of a connection manager (its runtime carries the compiled one; absent = headers pass through). */
export function tracingOf(hcm: ConnectionManagerInfo): TracingRuntime | undefined {
  return (hcm as ConnectionManagerInfo & { readonly tracing?: TracingRuntime }).tracing;
}
