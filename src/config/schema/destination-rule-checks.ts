/**
 * Istio's validation-webhook rules for DestinationRule (`ValidateDestinationRule`,
 * `validateTrafficPolicy` and helpers in istio/istio `pkg/config/validation`, `agent.ValidateTLS`,
 * `agent.ValidateLocalityLbSetting`), run on the normalized spec. `checkConnectionPool` is shared
 * with Sidecar.
 */
import type { ObjectMeta } from '../resource.js';
import type { IssueSink } from './common.js';
import type {
  ClientTLSSettings,
  ConnectionPoolSettings,
  DestinationRuleSpec,
  LoadBalancerSettings,
  LocalityLoadBalancerSetting,
  OutlierDetection,
  PortTrafficPolicy,
  TrafficPolicy,
} from './destination-rule.js';
import {
  checkDuration,
  checkExportTo,
  checkLabels,
  checkPort,
  checkSelectorLabels,
  fqdnError,
  isIPAddress,
  SCHEMA_WARNING,
  subsetNameError,
  wildcardDomainError,
  type Path,
} from './networking-common.js';

/** Runs Istio's DestinationRule webhook checks; paths are relative to the spec. */
export function checkDestinationRule(spec: DestinationRuleSpec, sink: IssueSink, meta: ObjectMeta): void {
  const hostErr = wildcardDomainError(spec.host);
  if (hostErr) sink.error(['host'], hostErr);
  checkTrafficPolicy(sink, ['trafficPolicy'], meta.namespace, spec.trafficPolicy);
  const names = new Set<string>();
  spec.subsets?.forEach((s, i) => {
    const p = ['subsets', i];
    if (names.has(s.name)) sink.error([...p, 'name'], `duplicate subset names: ${s.name}`);
    names.add(s.name);
    const nameErr = subsetNameError(s.name);
    if (nameErr) sink.error([...p, 'name'], nameErr);
    checkLabels(sink, [...p, 'labels'], s.labels);
    checkTrafficPolicy(sink, [...p, 'trafficPolicy'], meta.namespace, s.trafficPolicy);
  });
  checkExportTo(sink, ['exportTo'], meta.namespace, spec.exportTo, { drWithSelector: spec.workloadSelector !== undefined });
  if (spec.workloadSelector) {
    checkSelectorLabels(sink, ['workloadSelector', 'matchLabels'], spec.workloadSelector.matchLabels, 'workload selector specified without labels');
  }
}

function checkTrafficPolicy(sink: IssueSink, p: Path, namespace: string, tp: TrafficPolicy | undefined): void {
  if (!tp) return;
  const fields = ['outlierDetection', 'connectionPool', 'loadBalancer', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'] as const;
  if (fields.every((f) => tp[f] === undefined)) {
    sink.error(p, 'traffic policy must have at least one field');
    return;
  }
  if (tp.tunnel && tp.proxyProtocol) {
    sink.error(p, 'tunnel and proxyProtocol must not be set together');
    return;
  }
  checkPolicyParts(sink, p, namespace, tp);
  tp.portLevelSettings?.forEach((pl, i) => {
    const pp = [...p, 'portLevelSettings', i];
    if (!pl.port) sink.error(pp, 'portTrafficPolicy must have valid port');
    else checkPort(sink, [...pp, 'port', 'number'], pl.port.number ?? 0);
    if (!pl.outlierDetection && !pl.connectionPool && !pl.loadBalancer && !pl.tls) sink.error(pp, 'port traffic policy must have at least one field');
    else checkPolicyParts(sink, pp, namespace, pl);
  });
  const t = tp.tunnel;
  if (t) {
    const tpath = [...p, 'tunnel'];
    if (t.protocol && t.protocol !== 'CONNECT' && t.protocol !== 'POST') sink.error([...tpath, 'protocol'], 'tunnel protocol must be "CONNECT" or "POST"');
    const target = t.targetHost ?? '';
    const fqdnErr = fqdnError(target);
    if (fqdnErr && !isIPAddress(target)) sink.error([...tpath, 'targetHost'], `tunnel target host must be valid FQDN or IP address: ${fqdnErr}; ${target} is not a valid IP`);
    const port = t.targetPort ?? 0;
    if (!(port >= 1 && port <= 65535)) sink.error([...tpath, 'targetPort'], `tunnel target port is invalid: port number ${port} must be in the range 1..65535`);
  }
  checkDuration(sink, [...p, 'retryBudget', 'budgetInterval'], tp.retryBudget?.budgetInterval, { allowZero: true });
  // Envoy's circuit-breaker retry_budget has no time window: `budgetInterval` is warned about as
  // WFT0100 by the field-support registry (src/config/field-support/kinds/traffic-policy.ts).
}

function checkPolicyParts(sink: IssueSink, p: Path, namespace: string, tp: TrafficPolicy | PortTrafficPolicy): void {
  checkOutlierDetection(sink, [...p, 'outlierDetection'], tp.outlierDetection);
  checkConnectionPool(sink, [...p, 'connectionPool'], tp.connectionPool);
  checkLoadBalancer(sink, [...p, 'loadBalancer'], tp.loadBalancer, tp.outlierDetection);
  checkClientTLS(sink, [...p, 'tls'], namespace, tp.tls);
}

function checkOutlierDetection(sink: IssueSink, p: Path, od: OutlierDetection | undefined): void {
  if (!od) return;
  checkDuration(sink, [...p, 'baseEjectionTime'], od.baseEjectionTime);
  checkDuration(sink, [...p, 'interval'], od.interval);
  if (!od.splitExternalLocalOriginErrors && (od.consecutiveLocalOriginFailures ?? 0) > 0) {
    sink.error([...p, 'consecutiveLocalOriginFailures'], 'outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false');
  }
  for (const f of ['maxEjectionPercent', 'minHealthPercent'] as const) {
    const v = od[f];
    if (v !== undefined && (v < 0 || v > 100)) sink.error([...p, f], `percentage ${v} is not in range 0..100`);
  }
  // istio/api destination_rule.proto: list values must be in [100, 599] (CRD list-value validation).
  (od.outlierDetectionHttpErrorCodes ?? []).forEach((code, i) => {
    if (code < 100 || code > 599) sink.error([...p, 'outlierDetectionHttpErrorCodes', i], `HTTP status ${code} is not in range 100..599`);
  });
}

/** Istio's `validateConnectionPool`: at least one of tcp/http; non-negative limits; durations; UPGRADE vs useClientProtocol. */
export function checkConnectionPool(sink: IssueSink, p: Path, cp: ConnectionPoolSettings | undefined): void {
  if (!cp) return;
  if (!cp.http && !cp.tcp) {
    sink.error(p, 'connection pool must have at least one field');
    return;
  }
  const h = cp.http;
  if (h) {
    const hp = [...p, 'http'];
    const limits = {
      http1MaxPendingRequests: 'http1 max pending requests', http2MaxRequests: 'http2 max requests',
      maxRequestsPerConnection: 'max requests per connection', maxRetries: 'max retries', maxConcurrentStreams: 'max concurrent streams',
    } as const;
    for (const [k, label] of Object.entries(limits) as [keyof typeof limits, string][]) {
      if ((h[k] ?? 0) < 0) sink.error([...hp, k], `${label} must be non-negative`);
    }
    checkDuration(sink, [...hp, 'idleTimeout'], h.idleTimeout);
    const ka = h.http2KeepAlive;
    if (ka) {
      // istio/api destination_rule.proto: interval and timeout are "Required when `http2KeepAlive` is set".
      for (const k of ['interval', 'timeout'] as const) {
        if (ka[k] === undefined) sink.error([...hp, 'http2KeepAlive', k], `${k} is required when http2KeepAlive is set`);
        else checkDuration(sink, [...hp, 'http2KeepAlive', k], ka[k]);
      }
    }
    if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol) {
      sink.error([...hp, 'useClientProtocol'], 'use client protocol must not be true when H2UpgradePolicy is UPGRADE');
    }
  }
  const t = cp.tcp;
  if (t) {
    const tp = [...p, 'tcp'];
    if ((t.maxConnections ?? 0) < 0) sink.error([...tp, 'maxConnections'], 'max connections must be non-negative');
    checkDuration(sink, [...tp, 'connectTimeout'], t.connectTimeout);
    checkDuration(sink, [...tp, 'maxConnectionDuration'], t.maxConnectionDuration);
    checkDuration(sink, [...tp, 'idleTimeout'], t.idleTimeout, { allowZero: true });
    checkDuration(sink, [...tp, 'tcpKeepalive', 'time'], t.tcpKeepalive?.time);
    checkDuration(sink, [...tp, 'tcpKeepalive', 'interval'], t.tcpKeepalive?.interval);
  }
}

/** Envoy's primality test for Maglev table sizes (odd trial division up to √x). */
function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  for (let f = 3; f * f <= x; f += 2) if (x % f === 0) return false;
  return true;
}

function checkLoadBalancer(sink: IssueSink, p: Path, lb: LoadBalancerSettings | undefined, od: OutlierDetection | undefined): void {
  if (!lb) return;
  if (lb.simple !== undefined && lb.consistentHash !== undefined) sink.error(p, 'only one of simple or consistentHash may be set');
  const ch = lb.consistentHash;
  if (ch) {
    const cp = [...p, 'consistentHash'];
    const keys = (['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'] as const).filter((k) => ch[k] !== undefined);
    if (keys.length > 1) sink.error(cp, `only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName may be set (found ${keys.join(', ')})`);
    if (ch.httpCookie && !ch.httpCookie.name) sink.error([...cp, 'httpCookie', 'name'], 'name required for HttpCookie');
    checkDuration(sink, [...cp, 'httpCookie', 'ttl'], ch.httpCookie?.ttl, { allowZero: true });
    if (ch.ringHash && ch.maglev) sink.error(cp, 'only one of ringHash or maglev may be set');
    if (ch.minimumRingSize !== undefined && (ch.ringHash || ch.maglev)) {
      sink.error([...cp, 'minimumRingSize'], 'only one of MinimumRingSize or Maglev/Ringhash can be specified');
    }
    const ml = ch.maglev;
    if (ml) {
      const size = ml.tableSize ?? 0;
      const mp = [...cp, 'maglev', 'tableSize'];
      if (size === 0) sink.error(mp, 'tableSize must be set for maglev');
      if (size >= 5000011) sink.error(mp, 'tableSize must be less than 5000011 for maglev');
      if (!isPrime(size)) sink.error(mp, 'tableSize must be a prime number for maglev');
    }
  }
  checkLocalityLb(sink, [...p, 'localityLbSetting'], lb.localityLbSetting, od);
  checkDuration(sink, [...p, 'warmupDurationSecs'], lb.warmupDurationSecs);
  const w = lb.warmup;
  if (w) {
    const wp = [...p, 'warmup'];
    if (w.duration === undefined) sink.error([...wp, 'duration'], 'duration is required');
    else checkDuration(sink, [...wp, 'duration'], w.duration);
    if ((w.minimumPercent ?? 0) > 100) sink.error([...wp, 'minimumPercent'], 'minimumPercent value should be less than or equal to 100');
    if (w.aggression !== undefined && w.aggression < 1) sink.error([...wp, 'aggression'], 'aggression should be greater than or equal to 1');
  }
}

const TOPOLOGY_LABELS = new Set(['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone']);

/** Istio's `ValidateLocalityLbSetting`: distribute xor failover, weights summing to 100, well-formed localities. */
function checkLocalityLb(sink: IssueSink, p: Path, lb: LocalityLoadBalancerSetting | undefined, od: OutlierDetection | undefined): void {
  if (!lb) return;
  const distribute = lb.distribute ?? [];
  const failover = lb.failover ?? [];
  const priority = lb.failoverPriority ?? [];
  if (distribute.length > 0 && failover.length > 0) {
    sink.error(p, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (failover.length > 0) {
    const label = priority.find((l) => TOPOLOGY_LABELS.has(l));
    if (label) {
      sink.error([...p, 'failoverPriority'], `can not simultaneously set 'failover' and topology label '${label}' in 'failover_priority'`);
      return;
    }
  }
  for (const [i, d] of distribute.entries()) {
    let total = 0;
    for (const w of Object.values(d.to ?? {})) {
      if (w <= 0 || w > 100) {
        sink.error([...p, 'distribute', i, 'to'], 'locality weight must be in range [1, 100]');
        return;
      }
      total += w;
    }
    if (total !== 100) {
      sink.error([...p, 'distribute', i, 'to'], `total locality weight ${total} != 100`);
      return;
    }
    const err = localitiesError(Object.keys(d.to ?? {}));
    if (err) sink.error([...p, 'distribute', i, 'to'], err);
  }
  const err = localitiesError(distribute.map((d) => d.from ?? ''));
  if (err) sink.error([...p, 'distribute'], err);
  if ((failover.length > 0 || priority.length > 0) && !od) sink.warn(p, 'outlier detection policy must be provided for failover', SCHEMA_WARNING);
  failover.forEach((f, i) => {
    const fp = [...p, 'failover', i];
    const from = f.from ?? '';
    const to = f.to ?? '';
    if (from === to) sink.error(fp, 'locality lb failover settings must specify different regions');
    if (from.includes('/') || to.includes('/')) sink.error(fp, 'locality lb failover only specify region');
    if (from.includes('*') || to.includes('*')) sink.error(fp, "locality lb failover region should not contain '*' wildcard");
  });
}

/**
 * Localities `region[/zone[/subzone]]` with at most one trailing `*`, none overlapping one given
 * before it (Istio's `validateLocalities`, order-sensitive as Istio's is).
 */
function localitiesError(localities: readonly string[]): string | undefined {
  const regions = new Map<string, Map<string, Set<string>>>();
  for (const loc of localities) {
    const stars = loc.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !loc.endsWith('*'))) return `locality ${loc} wildcard '*' number can not exceed 1 and must be in the end`;
    const overlap = `locality ${loc} overlap with previous specified ones`;
    if (regions.has('*')) return overlap;
    const parts = loc.split('/');
    const items = parts.length > 3 ? [parts[0]!, parts[1]!, parts.slice(2).join('/')] : parts;
    if (items.some((x) => x === '')) return `locality ${loc} must not contain empty region/zone/subzone info`;
    const [region, zone, subzone] = items as [string, string?, string?];
    const zones = regions.get(region);
    if (zone === undefined) {
      if (zones) return overlap;
      regions.set(region, new Map([['*', new Set(['*'])]]));
    } else if (subzone === undefined) {
      if (zones?.has('*') || zones?.has(zone)) return overlap;
      if (zones) zones.set(zone, new Set(['*']));
      else regions.set(region, new Map([[zone, new Set(['*'])]]));
    } else {
      if (zones?.has('*')) return overlap;
      const subzones = zones?.get(zone);
      if (subzones && (subzones.has('*') || subzones.has(subzone))) return overlap;
      if (subzones) subzones.add(subzone);
      else if (zones) zones.set(zone, new Set([subzone]));
      else regions.set(region, new Map([[zone, new Set([subzone])]]));
    }
  }
  return undefined;
}

/** Istio's `agent.ValidateTLS` for client TLS origination. */
function checkClientTLS(sink: IssueSink, p: Path, namespace: string, tls: ClientTLSSettings | undefined): void {
  if (!tls) return;
  const cred = tls.credentialName ?? '';
  if (cred.startsWith('configmap://')) {
    const rest = cred.slice('configmap://'.length);
    const parts = rest.split('/');
    const ns = parts.length === 2 ? parts[0] : namespace;
    if (rest === '' || parts.length > 2 || parts.some((x) => x === '')) sink.error([...p, 'credentialName'], 'invalid configmap:// credentialName: expected configmap://[namespace/]name');
    else if (ns !== namespace) sink.error([...p, 'credentialName'], `invalid configmap:// credentialName: namespace must match the configuration namespace "${namespace}"`);
  }
  if (tls.insecureSkipVerify) {
    if (tls.mode === 'SIMPLE' && (tls.caCertificates || cred || tls.subjectAltNames !== undefined)) {
      sink.error([...p, 'insecureSkipVerify'], 'cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true');
    }
    if (tls.mode === 'MUTUAL' && (tls.caCertificates || tls.subjectAltNames !== undefined)) {
      sink.error([...p, 'insecureSkipVerify'], 'cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true');
    }
  }
  if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && cred) {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) {
      sink.error([...p, 'credentialName'], 'cannot specify client certificates or CA certificate or CA CRL If credentialName is set');
    }
    return;
  }
  if (tls.mode === 'MUTUAL') {
    if (!tls.clientCertificate) sink.error([...p, 'clientCertificate'], 'client certificate required for mutual tls');
    if (!tls.privateKey) sink.error([...p, 'privateKey'], 'private key required for mutual tls');
  }
}
