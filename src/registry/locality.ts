/**
 * Localities (`region/zone/subzone`) of workloads and proxies, as Istio derives them:
 *
 * - Kubernetes topology labels `topology.kubernetes.io/region`, `topology.kubernetes.io/zone` and
 *   `topology.istio.io/subzone` (on a Node in a cluster; Weft has no Nodes, so on the pod template
 *   of a Deployment, on a Pod, or on a WorkloadEntry's labels);
 * - else Istio's override label `istio-locality` (`region.zone.subzone`, dots because `/` is not
 *   allowed in label values; istiod's `model.GetLocalityLabel`);
 * - an explicit locality (WorkloadEntry/ServiceEntry endpoint `locality`) wins over both
 *   (istiod's serviceentry conversion).
 *
 * A proxy's locality follows istiod's `setTopologyLabels` (pilot/pkg/xds/ads.go): its labels first,
 * then the Envoy node's `locality`. The topology labels are then added to the proxy's and the
 * endpoints' labels (istiod's `labelutil.AugmentLabels`), so `failoverPriority` can name them.
 * It sits in the registry, which derives workload localities, as istiod's labelutil sits in
 * pilot/pkg/serviceregistry/util/label.
 */
import type { Labels } from '../config/labels.js';

/** Kubernetes' region label. */
export const LABEL_REGION = 'topology.kubernetes.io/region';
/** Kubernetes' zone label. */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
/** Istio's subzone label. */
export const LABEL_SUBZONE = 'topology.istio.io/subzone';
/** Istio's locality override label (`region.zone.subzone`). */
export const LABEL_ISTIO_LOCALITY = 'istio-locality';
/** The topology labels `failover` may not be combined with in `failoverPriority`. */
export const TOPOLOGY_LABEL_NAMES: readonly string[] = [LABEL_REGION, LABEL_ZONE, LABEL_SUBZONE];

/** A parsed locality; empty strings for the parts that are not known. */
export interface LocalityParts {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/** `region/zone/subzone` → parts (istiod's `label.SplitLocalityLabel`). */
export function splitLocality(locality: string | undefined): LocalityParts {
  const [region = '', zone = '', subZone = ''] = (locality ?? '').split('/');
  return { region, zone, subZone };
}

/** Parts → `region/zone/subzone`, trailing empty parts dropped; '' when nothing is known. */
export function joinLocality(p: Partial<LocalityParts>): string {
  const parts = [p.region ?? '', p.zone ?? '', p.subZone ?? ''];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/');
}

/** The locality labels say, '' when they say nothing (topology labels, then `istio-locality`). */
export function localityFromLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  const region = labels[LABEL_REGION];
  const zone = labels[LABEL_ZONE];
  const subZone = labels[LABEL_SUBZONE];
  if (region !== undefined || zone !== undefined || subZone !== undefined) return joinLocality({ region, zone, subZone });
  const override = labels[LABEL_ISTIO_LOCALITY];
  return override ? override.split('.').join('/') : '';
}

/** A workload's locality: the explicit one when set, else what its labels say (undefined when unknown). */
export function workloadLocality(explicit: string | undefined, labels: Labels | undefined): string | undefined {
  if (explicit) return explicit;
  const fromLabels = localityFromLabels(labels);
  return fromLabels || undefined;
}

/**
 * Labels plus the topology labels of `locality` (istiod's `AugmentLabels`: region, zone and subzone
 * are added when the locality has them and the labels do not already say otherwise).
 */
export function augmentLabels(labels: Labels, locality: string | undefined): Labels {
  const p = splitLocality(locality);
  if (!p.region && !p.zone && !p.subZone) return labels;
  const out: Record<string, string> = { ...labels };
  if (p.region && out[LABEL_REGION] === undefined) out[LABEL_REGION] = p.region;
  if (p.zone && out[LABEL_ZONE] === undefined) out[LABEL_ZONE] = p.zone;
  if (p.subZone && out[LABEL_SUBZONE] === undefined) out[LABEL_SUBZONE] = p.subZone;
  return out;
}
