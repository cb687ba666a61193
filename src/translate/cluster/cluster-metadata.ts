/**
 * `filterMetadata.istio` on clusters, as istiod writes it for telemetry and tooling: `services`
 * (host, name, namespace of the service(s) behind the cluster), `config` (the DestinationRule
 * applied, as an API path), `subset`, and `external: true` for mesh-external services.
 */
import type { Metadata } from '../../envoy/types.js';
import type { Service } from '../../registry/types.js';
import type { ConsolidatedDestinationRule } from './destination-rule-index.js';
import { toStruct, type PlainValue } from './struct-values.js';

/** What a cluster's istio metadata says. */
export interface ClusterMetadataInput {
  readonly services: readonly Service[];
  readonly rule?: ConsolidatedDestinationRule;
  readonly subset?: string;
  readonly external?: boolean;
}

/** Builds the cluster metadata (`filterMetadata.istio`). */
export function buildClusterMetadata(input: ClusterMetadataInput): Metadata {
  const istio: Record<string, PlainValue> = {
    services: input.services.map((s) => ({ host: s.hostname, name: s.name, namespace: s.namespace })),
  };
  if (input.rule) istio.config = configPath(input.rule);
  if (input.subset) istio.subset = input.subset;
  if (input.external) istio.external = true;
  return { filterMetadata: { istio: toStruct(istio) } };
}

/** `/apis/networking.istio.io/v1/namespaces/<ns>/destination-rule/<name>` for the rule's first resource. */
function configPath(rule: ConsolidatedDestinationRule): string {
  const first = rule.from[0];
  const apiVersion = first?.apiVersion ?? 'networking.istio.io/v1';
  return `/apis/${apiVersion}/namespaces/${rule.namespace}/destination-rule/${rule.name}`;
}
