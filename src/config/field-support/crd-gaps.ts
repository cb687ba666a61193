/**
 * Where Weft's schemas and Istio's CRDs (istio/api 1.31, `istio-crd-paths.json`) differ, written down
 * so `crd-paths.test.ts` fails on any other difference: a field Istio adds must be decided here or in
 * the schema and the registry, never silently refused or silently accepted.
 */

/**
 * Fields of Istio's CRDs that Weft's schemas still refuse as unknown (IST0106 "unknown field"):
 * valid Istio YAML that does not load yet. Issue 12 (Deliver 2, the fields Istio added in 2025–26)
 * adds them; remove each from here when its schema and registry entry land.
 */
export const REFUSED_AS_UNKNOWN: Readonly<Record<string, readonly string[]>> = {
  VirtualService: [],
  DestinationRule: [],
  AuthorizationPolicy: [],
};

/**
 * Fields Weft accepts that Istio 1.31 does not have: `priority` on WorkloadEntry-shaped messages
 * (no such field in istio/api's workload_entry.proto; Istio would refuse it). Weft's schema accepts it
 * and the registry marks it unsupported, so using it warns (WFT0100) instead of silently doing nothing.
 */
export const NOT_IN_ISTIO_CRD: Readonly<Record<string, readonly string[]>> = {
  ServiceEntry: ['spec.endpoints[].priority'],
  WorkloadEntry: ['spec.priority'],
  WorkloadGroup: ['spec.template.priority'],
};
