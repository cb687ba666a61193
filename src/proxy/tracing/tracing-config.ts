/**
 * The HTTP connection manager's `tracing` block as the proxy uses it: which tracer is configured
 * (Zipkin → B3 headers, OpenTelemetry → W3C `traceparent`), the random sampling percentage for
 * requests that arrive without a sampling decision, the custom tags added to each span
 * (`custom_tags`: literal, environment, request header), the `http.url` tag limit
 * (`max_path_tag_length`, Envoy's default 256), where a Zipkin tracer reports spans (ZipkinConfig
 * `collector_cluster` / `collector_endpoint` / `collector_hostname`), and whether the sampling
 * decision hashes `x-request-id` (the HCM's UUID request-id extension,
 * `use_request_id_for_trace_sampling`, default true). No `tracing` block means no tracer: the proxy
 * then forwards whatever trace headers it got, untouched, as Envoy under Istio does when no tracing
 * provider is configured.
 */
import type { Any } from '../../envoy/types/core.js';
import type { HcmTracing } from '../../envoy/types.js';

/** Which header family a tracer writes natively. */
export type TraceHeaderStyle = 'b3' | 'w3c';

/** One Envoy `CustomTag` (type/tracing/v3/custom_tag.proto), compiled. */
export type CustomTagRuntime =
  | { readonly tag: string; readonly kind: 'literal'; readonly value: string }
  | { readonly tag: string; readonly kind: 'environment'; readonly name: string; readonly defaultValue: string }
  | { readonly tag: string; readonly kind: 'header'; readonly name: string; readonly defaultValue: string };

/** Where a Zipkin tracer sends its spans (ZipkinConfig). */
export interface ZipkinCollector {
  /** The cluster whose endpoints receive the spans (`outbound|9411||zipkin.istio-system.svc.cluster.local`). */
  readonly cluster: string;
  /** Request path, `/api/v2/spans` by default. */
  readonly endpoint: string;
  /** Host header of the report. */
  readonly hostname: string;
}

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
  /** Custom tags added to every span, in order. */
  readonly customTags: readonly CustomTagRuntime[];
  /** `http.url` tag values are cut to this many characters. */
  readonly maxPathTagLength: number;
  /** Zipkin collector; undefined for tracers whose spans Weft does not export (OpenTelemetry). */
  readonly collector: ZipkinCollector | undefined;
  /** Sampling of a request without a decision hashes its `x-request-id` (false: a fresh random draw). */
  readonly useRequestIdForTraceSampling: boolean;
}

/** Envoy's default random sampling when the block sets none. */
const DEFAULT_RANDOM_SAMPLING = 100;
/** Envoy's default `max_path_tag_length`. */
export const DEFAULT_MAX_PATH_TAG_LENGTH = 256;

function compileTag(t: Readonly<Record<string, unknown>>): CustomTagRuntime | undefined {
  const tag = typeof t['tag'] === 'string' ? t['tag'] : '';
  if (tag === '') return undefined;
  const sub = (k: string) => (typeof t[k] === 'object' && t[k] !== null ? (t[k] as Record<string, unknown>) : undefined);
  const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : '');
  const lit = sub('literal');
  if (lit) return { tag, kind: 'literal', value: str(lit, 'value') };
  const env = sub('environment');
  if (env) return { tag, kind: 'environment', name: str(env, 'name'), defaultValue: str(env, 'defaultValue') };
  const hdr = sub('requestHeader');
  if (hdr) return { tag, kind: 'header', name: str(hdr, 'name').toLowerCase(), defaultValue: str(hdr, 'defaultValue') };
  return undefined;
}

/**
 * Compiles a tracing block; undefined when there is none (or it names no tracer). `requestId` is the
 * HCM's `request_id_extension` typed config (UuidRequestIdConfig), if any.
 */
export function compileTracing(t: HcmTracing | undefined, requestId?: Any): TracingRuntime | undefined {
  if (t === undefined || t.provider === undefined) return undefined;
  const name = t.provider.name ?? '';
  const cfg = (t.provider.typedConfig ?? {}) as Readonly<Record<string, unknown>>;
  const type = String(cfg['@type'] ?? '');
  const style: TraceHeaderStyle = name.includes('opentelemetry') || type.includes('OpenTelemetryConfig') ? 'w3c' : 'b3';
  const pct = (p: { value?: number } | undefined, dflt: number) => Math.min(100, Math.max(0, p === undefined ? dflt : p.value ?? 0));
  const zipkin = name.includes('zipkin') || type.includes('ZipkinConfig');
  const collector: ZipkinCollector | undefined = zipkin && typeof cfg['collectorCluster'] === 'string' && cfg['collectorCluster'] !== ''
    ? {
      cluster: cfg['collectorCluster'],
      endpoint: typeof cfg['collectorEndpoint'] === 'string' && cfg['collectorEndpoint'] !== '' ? cfg['collectorEndpoint'] : '/api/v2/spans',
      hostname: typeof cfg['collectorHostname'] === 'string' && cfg['collectorHostname'] !== '' ? cfg['collectorHostname'] : cfg['collectorCluster'],
    }
    : undefined;
  const maxLen = t.maxPathTagLength?.value;
  const useRid = (requestId as Readonly<Record<string, unknown>> | undefined)?.['useRequestIdForTraceSampling'] as { value?: boolean } | undefined;
  return {
    provider: name, style, randomSamplingPct: pct(t.randomSampling, DEFAULT_RANDOM_SAMPLING), clientSamplingPct: pct(t.clientSampling, 100),
    customTags: (t.customTags ?? []).map(compileTag).filter((x): x is CustomTagRuntime => x !== undefined),
    maxPathTagLength: maxLen !== undefined && maxLen > 0 ? maxLen : DEFAULT_MAX_PATH_TAG_LENGTH,
    collector,
    useRequestIdForTraceSampling: useRid === undefined || useRid.value !== false,
  };
}
