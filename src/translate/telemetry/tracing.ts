/**
 * The HCM `tracing` block for one proxy side, as istiod computes it (`Telemetries.Tracing`): the
 * provider is `defaultProviders.tracing[0]`, overridden by the first provider of the most specific
 * Telemetry `tracing` entry that names one (per side: `match.mode` CLIENT / SERVER); the sampling
 * percentage by the latest `randomSamplingPercentage` (else 1 %, Istio's default sampling);
 * `disableSpanReporting: true` or no provider means no tracer. Zipkin and OpenTelemetry providers
 * are translated (Envoy's ZipkinConfig / OpenTelemetryConfig pointing at the provider's service
 * cluster); others are ignored. No tracer: Envoy, and so Weft's proxy, passes trace headers through.
 */
import type { Resource } from '../../config/resource.js';
import type { TelemetrySpec } from '../../config/schema/telemetry.js';
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

/** The HCM tracing block, or undefined when no tracer applies. */
export function buildTracing(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode): HcmTracing | undefined {
  const find = (name: string) => mesh.extensionProviders.find((p) => p.name.toLowerCase() === name.toLowerCase());
  const first = mesh.defaultProviders.tracing?.[0];
  let provider = first !== undefined ? find(first) : undefined;
  let disabled = false;
  let sampling: number | undefined;
  for (const t of telemetries) {
    for (const tr of t.spec.tracing ?? []) {
      const m = tr.match?.mode;
      if (m !== undefined && m !== 'CLIENT_AND_SERVER' && m !== mode) continue;
      const name = tr.providers?.[0]?.name;
      if (name !== undefined) provider = find(name);
      if (tr.disableSpanReporting !== undefined && tr.disableSpanReporting !== null) disabled = tr.disableSpanReporting;
      if (tr.randomSamplingPercentage !== undefined && tr.randomSamplingPercentage !== null) sampling = tr.randomSamplingPercentage;
    }
  }
  if (provider === undefined || disabled) return undefined;
  const cfg = providerConfig(provider, mesh);
  if (cfg === undefined) return undefined;
  return { provider: cfg, randomSampling: { value: sampling ?? DEFAULT_SAMPLING_PERCENT }, clientSampling: { value: 100 }, overallSampling: { value: 100 } };
}
