/**
 * The HTTP connection manager's `tracing` block as the proxy uses it: which tracer is configured
 * (Zipkin → B3 headers, OpenTelemetry → W3C `traceparent`) and the random sampling percentage for
 * requests that arrive without a sampling decision. No `tracing` block means no tracer: the proxy
 * then forwards whatever trace headers it got, untouched, as Envoy under Istio does when no tracing
 * provider is configured.
 */
import type { HcmTracing } from '../../envoy/types.js';

/** Which header family a tracer writes natively. */
export type TraceHeaderStyle = 'b3' | 'w3c';

/** A compiled tracing block. */
export interface TracingRuntime {
  /** Tracer name (`envoy.tracers.zipkin`, `envoy.tracers.opentelemetry`). */
  readonly provider: string;
  /** Header family a new trace starts with. */
  readonly style: TraceHeaderStyle;
  /** Percentage (0–100) of requests without a decision that start a sampled trace. */
  readonly randomSamplingPct: number;
  /** Percentage (0–100) of requests with `x-client-trace-id` that are force-sampled. */
  readonly clientSamplingPct: number;
}

/** Envoy's default random sampling when the block sets none. */
const DEFAULT_RANDOM_SAMPLING = 100;

/** Compiles a tracing block; undefined when there is none (or it names no tracer). */
export function compileTracing(t: HcmTracing | undefined): TracingRuntime | undefined {
  if (t === undefined || t.provider === undefined) return undefined;
  const name = t.provider.name ?? '';
  const type = String(t.provider.typedConfig?.['@type'] ?? '');
  const style: TraceHeaderStyle = name.includes('opentelemetry') || type.includes('OpenTelemetryConfig') ? 'w3c' : 'b3';
  const pct = (p: { value?: number } | undefined, dflt: number) => Math.min(100, Math.max(0, p === undefined ? dflt : p.value ?? 0));
  return { provider: name, style, randomSamplingPct: pct(t.randomSampling, DEFAULT_RANDOM_SAMPLING), clientSamplingPct: pct(t.clientSampling, 100) };
}
