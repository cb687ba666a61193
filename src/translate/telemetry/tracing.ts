/**
 * The HCM `tracing` block for one proxy side, as istiod computes it (`Telemetries.Tracing`): the
 * provider is `defaultProviders.tracing[0]`, overridden by the first provider of the most specific
 * Telemetry `tracing` entry that names one (per side: `match.mode` CLIENT / SERVER); the sampling
 * percentage by the latest `randomSamplingPercentage` (else 1 %, Istio's default sampling);
 * `disableSpanReporting: true` or no provider means no tracer. Zipkin and OpenTelemetry providers
 * are translated (Envoy's ZipkinConfig / OpenTelemetryConfig pointing at the provider's service
 * cluster); others are ignored. No tracer: Envoy, and so Weft's proxy, passes trace headers through.
 *
 * Span tags as istiod's `configureCustomTags` builds them: with `enableIstioTags` (default true) the
 * literal tags `istio.canonical_revision`, `istio.canonical_service`, `istio.mesh_id`,
 * `istio.namespace`, `istio.cluster_id` (`buildServiceTags`), then the Telemetry `customTags`
 * (literal → Envoy `literal`, environment → `environment`, header → `request_header`), sorted by tag
 * name; `customTags`, `enableIstioTags` and `useRequestIdForTraceSampling` are overridden as a whole
 * by the most specific Telemetry that sets them (istiod's shallow merge, `Telemetries.Tracing`).
 * A Zipkin provider's `maxTagLength` becomes `max_path_tag_length`; `useRequestIdForTraceSampling`
 * the HCM's UUID request-id extension (see {@link buildRequestIdExtension}).
 */
import type { Resource } from '../../config/resource.js';
import type { CustomTag, TelemetrySpec } from '../../config/schema/telemetry.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import type { HcmTracing } from '../../envoy/types.js';
import type { ExtensionProvider, MeshConfig } from '../../config/mesh-config.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { WorkloadMode } from './telemetry-scope.js';

/** Istio's default trace sampling (mesh config `defaultConfig.tracing.sampling`), percent. */
export const DEFAULT_SAMPLING_PERCENT = 1;

function serviceFqdn(service: string, mesh: MeshConfig): string {
  return service.includes('.') ? service : `${service}.${mesh.rootNamespace}.svc.${mesh.domainSuffix}`;
}

function providerConfig(p: ExtensionProvider, mesh: MeshConfig): HcmTracing['provider'] | undefined {
  if (p.zipkin !== undefined) {
    const host = serviceFqdn(p.zipkin.service, mesh);
    return {
      name: 'envoy.tracers.zipkin',
      typedConfig: {
        '@type': TypeUrl.ZipkinConfig, collectorCluster: `outbound|${p.zipkin.port}||${host}`, collectorEndpoint: '/api/v2/spans',
        collectorEndpointVersion: 'HTTP_JSON', collectorHostname: host, traceId_128bit: true, sharedSpanContext: { value: false },
      },
    };
  }
  if (p.opentelemetry !== undefined) {
    const host = serviceFqdn(p.opentelemetry.service, mesh);
    return {
      name: 'envoy.tracers.opentelemetry',
      typedConfig: {
        '@type': TypeUrl.OpenTelemetryConfig,
        grpcService: { envoyGrpc: { clusterName: `outbound|${p.opentelemetry.port}||${host}`, authority: host } },
      },
    };
  }
  return undefined;
}

/** The merged tracing settings of one side (istiod's `TracingSpec`). */
interface TracingSpec {
  readonly provider: ExtensionProvider | undefined;
  readonly disabled: boolean;
  readonly sampling: number | undefined;
  readonly customTags: Readonly<Record<string, CustomTag>>;
  readonly enableIstioTags: boolean;
  readonly useRequestIdForTraceSampling: boolean;
}

function tracingSpec(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode): TracingSpec {
  const find = (name: string) => mesh.extensionProviders.find((p) => p.name.toLowerCase() === name.toLowerCase());
  const first = mesh.defaultProviders.tracing?.[0];
  let provider = first !== undefined ? find(first) : undefined;
  let disabled = false;
  let sampling: number | undefined;
  let customTags: Readonly<Record<string, CustomTag>> = {};
  let enableIstioTags = true;
  let useRequestIdForTraceSampling = true;
  for (const t of telemetries) {
    for (const tr of t.spec.tracing ?? []) {
      const m = tr.match?.mode;
      if (m !== undefined && m !== 'CLIENT_AND_SERVER' && m !== mode) continue;
      const name = tr.providers?.[0]?.name;
      if (name !== undefined) provider = find(name);
      if (tr.disableSpanReporting !== undefined && tr.disableSpanReporting !== null) disabled = tr.disableSpanReporting;
      if (tr.randomSamplingPercentage !== undefined && tr.randomSamplingPercentage !== null) sampling = tr.randomSamplingPercentage;
      if (tr.customTags !== undefined) customTags = tr.customTags;
      if (tr.enableIstioTags !== undefined && tr.enableIstioTags !== null) enableIstioTags = tr.enableIstioTags;
      if (tr.useRequestIdForTraceSampling !== undefined && tr.useRequestIdForTraceSampling !== null) useRequestIdForTraceSampling = tr.useRequestIdForTraceSampling;
    }
  }
  return { provider, disabled, sampling, customTags, enableIstioTags, useRequestIdForTraceSampling };
}

/** istiod's `buildServiceTags`: the proxy's canonical service and revision, mesh, namespace and cluster. */
function istioTags(node: ProxyNode, mesh: MeshConfig): Record<string, unknown>[] {
  const l = node.labels;
  // The injector sets the canonical labels from app.kubernetes.io/name / app (and version); Weft's proxies carry the pod labels as they are.
  const service = l['service.istio.io/canonical-name'] ?? l['app.kubernetes.io/name'] ?? l['app'] ?? 'unknown';
  const revision = l['service.istio.io/canonical-revision'] ?? l['app.kubernetes.io/version'] ?? l['version'] ?? 'latest';
  const lit = (tag: string, value: string) => ({ tag, literal: { value } });
  return [
    lit('istio.canonical_revision', revision), lit('istio.canonical_service', service),
    // Istio's mesh id defaults to the trust domain; Weft runs one cluster, named as istiod's default cluster id.
    lit('istio.mesh_id', mesh.trustDomain), lit('istio.namespace', node.namespace || 'default'), lit('istio.cluster_id', 'Kubernetes'),
  ];
}

function customTagsOf(tags: Readonly<Record<string, CustomTag>>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [tag, t] of Object.entries(tags)) {
    if (t.literal !== undefined) out.push({ tag, literal: { value: t.literal.value } });
    else if (t.environment !== undefined) out.push({ tag, environment: { name: t.environment.name, ...(t.environment.defaultValue ? { defaultValue: t.environment.defaultValue } : {}) } });
    else if (t.header !== undefined) out.push({ tag, requestHeader: { name: t.header.name, ...(t.header.defaultValue ? { defaultValue: t.header.defaultValue } : {}) } });
    // `formatter` tags have no CustomTag field in the Envoy API Weft serves (the registry warns, WFT0100).
  }
  return out;
}

/** The HCM tracing block, or undefined when no tracer applies. `node` is the proxy (for Istio's tags). */
export function buildTracing(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode, node?: ProxyNode): HcmTracing | undefined {
  const spec = tracingSpec(telemetries, mesh, mode);
  if (spec.provider === undefined || spec.disabled) return undefined;
  const cfg = providerConfig(spec.provider, mesh);
  if (cfg === undefined) return undefined;
  const tags = [...(spec.enableIstioTags && node !== undefined ? istioTags(node, mesh) : []), ...customTagsOf(spec.customTags)]
    .sort((a, b) => String(a['tag']).localeCompare(String(b['tag'])));
  const maxTagLength = spec.provider.zipkin?.maxTagLength;
  return {
    provider: cfg, randomSampling: { value: spec.sampling ?? DEFAULT_SAMPLING_PERCENT }, clientSampling: { value: 100 }, overallSampling: { value: 100 },
    ...(tags.length > 0 ? { customTags: tags } : {}),
    ...(maxTagLength !== undefined && maxTagLength > 0 ? { maxPathTagLength: { value: maxTagLength } } : {}),
  };
}

/**
 * The HCM `request_id_extension` istiod writes with a tracer (`UuidRequestIdConfig`, its
 * `use_request_id_for_trace_sampling` from the Telemetry field); undefined without a tracer.
 */
export function buildRequestIdExtension(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode): { name: string; typedConfig: { '@type': string; useRequestIdForTraceSampling: { value: boolean } } } | undefined {
  const spec = tracingSpec(telemetries, mesh, mode);
  if (spec.provider === undefined || spec.disabled || providerConfig(spec.provider, mesh) === undefined) return undefined;
  return { name: 'envoy.request_id.uuid', typedConfig: { '@type': TypeUrl.UuidRequestIdConfig, useRequestIdForTraceSampling: { value: spec.useRequestIdForTraceSampling } } };
}
