/**
 * DestinationRule (networking.istio.io v1alpha3, v1beta1, v1): Istio's strict schema for every field,
 * the mapping of deprecated fields, and the KindInfo. ConnectionPoolSettings is also used by Sidecar,
 * as in Istio's protos. The webhook's semantic rules live in `destination-rule-checks.ts`.
 */
import { z } from 'zod';
import { defineKind, labels, uint, type IssueSink, workloadSelector } from './common.js';
import { checkDestinationRule } from './destination-rule-checks.js';
import { durationString, NETWORKING_VERSIONS, optInt, optUint, portSelector, warnDeprecated, type Path } from './networking-common.js';

/** Istio's ConnectionPoolSettings.TCPSettings.TcpKeepalive. */
export const tcpKeepalive = z.strictObject({ probes: optUint, time: durationString.optional(), interval: durationString.optional() });

/** Istio's ConnectionPoolSettings: TCP and HTTP limits (circuit breakers) to an upstream. */
export const connectionPoolSettings = z.strictObject({
  tcp: z.strictObject({
    maxConnections: optInt,
    connectTimeout: durationString.optional(),
    tcpKeepalive: tcpKeepalive.optional(),
    maxConnectionDuration: durationString.optional(),
    idleTimeout: durationString.optional(),
  }).optional(),
  http: z.strictObject({
    http1MaxPendingRequests: optInt,
    http2MaxRequests: optInt,
    maxRequestsPerConnection: optInt,
    maxRetries: optInt,
    idleTimeout: durationString.optional(),
    h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
    useClientProtocol: z.boolean().optional(),
    maxConcurrentStreams: optInt,
    /** HTTP/2 PING keepalive on upstream HTTP/2 connections (Istio 1.28+). */
    http2KeepAlive: z.strictObject({ interval: durationString.optional(), timeout: durationString.optional() }).optional(),
  }).optional(),
});
/** Connection-pool limits. */
export type ConnectionPoolSettings = z.infer<typeof connectionPoolSettings>;

/** Istio's ConsistentHashLB.HTTPCookie. */
export const httpCookie = z.strictObject({
  name: z.string().optional(),
  path: z.string().optional(),
  ttl: durationString.optional(),
  attributes: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
});

/** Istio's ConsistentHashLB: a hash key (one of four) and an algorithm (ring hash or Maglev). */
export const consistentHashLB = z.strictObject({
  httpHeaderName: z.string().optional(),
  httpCookie: httpCookie.optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: z.string().optional(),
  ringHash: z.strictObject({ minimumRingSize: optUint }).optional(),
  maglev: z.strictObject({ tableSize: optUint }).optional(),
  minimumRingSize: optUint,
});
/** Consistent-hash load balancing. */
export type ConsistentHashLB = z.infer<typeof consistentHashLB>;

/** Istio's LocalityLoadBalancerSetting. */
export const localityLoadBalancerSetting = z.strictObject({
  distribute: z.array(z.strictObject({ from: z.string().optional(), to: z.record(z.string(), uint).optional() })).optional(),
  failover: z.array(z.strictObject({ from: z.string().optional(), to: z.string().optional() })).optional(),
  failoverPriority: z.array(z.string()).optional(),
  enabled: z.boolean().optional(),
});
/** Locality-weighted load balancing and failover. */
export type LocalityLoadBalancerSetting = z.infer<typeof localityLoadBalancerSetting>;

/** Istio's ZoneAwareLoadBalancerSetting (istio/api 1.31): Envoy zone-aware routing (translate/cluster/zone-aware-lb.ts, proxy/lb/zone-aware.ts). */
export const zoneAwareLoadBalancerSetting = z.strictObject({
  enabled: z.boolean().optional(),
  failover: z.array(z.strictObject({ from: z.string().optional(), to: z.string().optional() })).optional(),
  failoverPriority: z.array(z.string()).optional(),
  minClusterSize: optUint,
});

/** Istio's simple load-balancing algorithms (`LEAST_CONN` is a deprecated alias of `LEAST_REQUEST`). */
export const simpleLB = z.enum(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']);

/** Istio's LoadBalancerSettings. */
export const loadBalancerSettings = z.strictObject({
  simple: simpleLB.optional(),
  consistentHash: consistentHashLB.optional(),
  localityLbSetting: localityLoadBalancerSetting.optional(),
  zoneAwareLbSetting: zoneAwareLoadBalancerSetting.optional(),
  warmupDurationSecs: durationString.optional(),
  warmup: z.strictObject({
    duration: durationString.optional(),
    minimumPercent: z.number().min(0, 'minimumPercent must not be negative').optional(),
    aggression: z.number().optional(),
  }).optional(),
});
/** Load-balancing policy. */
export type LoadBalancerSettings = z.infer<typeof loadBalancerSettings>;

/** Istio's OutlierDetection (`consecutiveErrors` is deprecated and ignored, with IST0133). */
export const outlierDetection = z.strictObject({
  splitExternalLocalOriginErrors: z.boolean().optional(),
  consecutiveLocalOriginFailures: optUint,
  consecutiveGatewayErrors: optUint,
  consecutive5xxErrors: optUint,
  interval: durationString.optional(),
  baseEjectionTime: durationString.optional(),
  maxEjectionPercent: optInt,
  minHealthPercent: optInt,
  consecutiveErrors: optInt,
  /** HTTP statuses counted as outlier errors instead of 5xx (istio/api 2026, values 100–599). */
  outlierDetectionHttpErrorCodes: z.array(uint).optional(),
});
/** Outlier detection (passive health checking). */
export type OutlierDetection = z.infer<typeof outlierDetection>;

/** Istio's ClientTLSSettings: how a client originates TLS to the upstream. */
export const clientTLSSettings = z.strictObject({
  mode: z.enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']).optional(),
  clientCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  credentialName: z.string().optional(),
  subjectAltNames: z.array(z.string()).optional(),
  sni: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  caCrl: z.string().optional(),
});
/** Client-side TLS origination settings. */
export type ClientTLSSettings = z.infer<typeof clientTLSSettings>;

/** Istio's TrafficPolicy.PortTrafficPolicy. */
export const portTrafficPolicy = z.strictObject({
  port: portSelector.optional(),
  loadBalancer: loadBalancerSettings.optional(),
  connectionPool: connectionPoolSettings.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTLSSettings.optional(),
});
/** Per-port overrides of a traffic policy. */
export type PortTrafficPolicy = z.infer<typeof portTrafficPolicy>;

/** Istio's TrafficPolicy. */
export const trafficPolicy = z.strictObject({
  loadBalancer: loadBalancerSettings.optional(),
  connectionPool: connectionPoolSettings.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTLSSettings.optional(),
  portLevelSettings: z.array(portTrafficPolicy).optional(),
  tunnel: z.strictObject({ protocol: z.string().optional(), targetHost: z.string().optional(), targetPort: optUint }).optional(),
  proxyProtocol: z.strictObject({ version: z.enum(['V1', 'V2']).optional() }).optional(),
  retryBudget: z.strictObject({
    percent: z.number().min(0, 'must be in 0-100').max(100, 'must be in 0-100').optional(),
    minRetryConcurrency: optUint,
    budgetInterval: durationString.optional(),
  }).optional(),
});
/** Policies applied to traffic to a service, subset or port. */
export type TrafficPolicy = z.infer<typeof trafficPolicy>;

/** Istio's Subset: a named group of endpoints by labels, with its own policy. */
export const subset = z.strictObject({ name: z.string(), labels: labels.optional(), trafficPolicy: trafficPolicy.optional() });
/** A service subset (version). */
export type Subset = z.infer<typeof subset>;

/** Istio's DestinationRule spec. */
export const destinationRuleSpec = z.strictObject({
  host: z.string(),
  trafficPolicy: trafficPolicy.optional(),
  subsets: z.array(subset).optional(),
  exportTo: z.array(z.string()).optional(),
  workloadSelector: workloadSelector.optional(),
});
/** A DestinationRule's content. */
export type DestinationRuleSpec = z.infer<typeof destinationRuleSpec>;

type Policy = TrafficPolicy | PortTrafficPolicy;

/** Istio's own words for a non-zero `consecutiveErrors` (pkg/config/validation validateOutlierDetection). */
export const CONSECUTIVE_ERRORS_WARNING =
  'Schema validation warning: outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead';

/**
 * One policy's deprecated fields, in place on the (copied) policy. `consecutiveErrors` is dropped
 * and has no effect, as in Istio since 1.7 (istiod's cluster builder no longer reads it); a non-zero
 * value gets Istio's validation warning, code IST0133 (SchemaWarning) as istioctl reports it.
 */
function normalizePolicy(tp: Policy, path: Path, sink: IssueSink): void {
  const od = tp.outlierDetection;
  if (od && od.consecutiveErrors !== undefined) {
    if (od.consecutiveErrors !== 0) sink.warn([...path, 'outlierDetection', 'consecutiveErrors'], CONSECUTIVE_ERRORS_WARNING, 'IST0133');
    delete od.consecutiveErrors;
  }
  const lb = tp.loadBalancer;
  if (lb?.simple === 'LEAST_CONN') {
    warnDeprecated(sink, [...path, 'loadBalancer', 'simple'], 'LEAST_REQUEST');
    lb.simple = 'LEAST_REQUEST';
  }
  const ch = lb?.consistentHash;
  if (ch && ch.minimumRingSize !== undefined) {
    warnDeprecated(sink, [...path, 'loadBalancer', 'consistentHash', 'minimumRingSize'], 'ringHash.minimumRingSize');
    // With ringHash or maglev also set Istio rejects the rule: leave it for the check to report.
    if (!ch.ringHash && !ch.maglev) {
      if (ch.minimumRingSize !== 0) ch.ringHash = { minimumRingSize: ch.minimumRingSize };
      delete ch.minimumRingSize;
    }
  }
  if ('portLevelSettings' in tp) tp.portLevelSettings?.forEach((p, i) => normalizePolicy(p, [...path, 'portLevelSettings', i], sink));
}

/** Maps deprecated fields in every traffic policy (top, port level, subsets) of a copy of the spec. */
export function normalizeDestinationRule(spec: DestinationRuleSpec, sink: IssueSink): DestinationRuleSpec {
  const out = structuredClone(spec);
  if (out.trafficPolicy) normalizePolicy(out.trafficPolicy, ['trafficPolicy'], sink);
  out.subsets?.forEach((s, i) => s.trafficPolicy && normalizePolicy(s.trafficPolicy, ['subsets', i, 'trafficPolicy'], sink));
  return out;
}

/** The DestinationRule kind: schema, normalization and Istio's webhook checks. */
export const destinationRuleKind = defineKind<DestinationRuleSpec>({
  kind: 'DestinationRule',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'destinationrules',
  namespaced: true,
  schema: destinationRuleSpec,
  normalize: normalizeDestinationRule,
  check: checkDestinationRule,
});
