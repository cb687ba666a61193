/**
 * Sidecar (networking.istio.io v1alpha3, v1beta1, v1): the listeners and reachable hosts of the
 * sidecars it selects. Semantics after Istio's `ValidateSidecar`,
 * `validateSidecarIngressPortAndBind`, `validateSidecarEgressPortBindAndCaptureMode` and
 * `validateSidecarOutboundTrafficPolicy`.
 */
import { z } from 'zod';
import type { ObjectMeta } from '../resource.js';
import { defineKind, networkingWorkloadSelector, type IssueSink } from './common.js';
import { checkConnectionPool } from './destination-rule-checks.js';
import { connectionPoolSettings } from './destination-rule.js';
import { checkServerTLS, serverTLSSettings } from './gateway.js';
import {
  checkDestination,
  checkNamespacedHost,
  checkPort,
  checkPortName,
  checkProtocol,
  checkSelectorLabels,
  destination,
  durationString,
  fqdnError,
  isHTTPProtocol,
  isIPAddress,
  isTLSProtocol,
  NETWORKING_VERSIONS,
  optUint,
  parseProtocol,
  SCHEMA_WARNING,
  UNIX_PREFIX,
  unixAddressError,
  type Path,
} from './networking-common.js';

/** Istio's SidecarPort: number (0 with a unix socket bind), protocol, name; `targetPort` is rejected. */
export const sidecarPort = z.strictObject({
  number: optUint,
  protocol: z.string().optional(),
  name: z.string().optional(),
  targetPort: optUint,
});
/** A sidecar listener port. */
export type SidecarPort = z.infer<typeof sidecarPort>;

const captureMode = z.enum(['DEFAULT', 'IPTABLES', 'NONE']);

/**
 * A Sidecar's connection pool: DestinationRule's ConnectionPoolSettings (shared, as in Istio's
 * protos) with `http.http2KeepAlive` (istio/api 1.31 `ConnectionKeepalive`: PING interval and
 * timeout). Kept here so the Sidecar copies load whatever the shared object holds; once the shared
 * object has the field, this extension is redundant and harmless.
 */
const sidecarConnectionPool = connectionPoolSettings.extend({
  http: connectionPoolSettings.shape.http.unwrap().extend({
    http2KeepAlive: z.strictObject({ interval: durationString.optional(), timeout: durationString.optional() }).optional(),
  }).optional(),
});

/** Istio's IstioIngressListener: an inbound listener of the sidecar. */
export const istioIngressListener = z.strictObject({
  port: sidecarPort.optional(),
  bind: z.string().optional(),
  captureMode: captureMode.optional(),
  defaultEndpoint: z.string().optional(),
  tls: serverTLSSettings.optional(),
  connectionPool: sidecarConnectionPool.optional(),
});
/** An inbound listener. */
export type IstioIngressListener = z.infer<typeof istioIngressListener>;

/** Istio's IstioEgressListener: an outbound listener and the `namespace/host` entries it can reach. */
export const istioEgressListener = z.strictObject({
  port: sidecarPort.optional(),
  bind: z.string().optional(),
  captureMode: captureMode.optional(),
  hosts: z.array(z.string()).optional(),
});
/** An outbound listener. */
export type IstioEgressListener = z.infer<typeof istioEgressListener>;

/** Istio's OutboundTrafficPolicy: REGISTRY_ONLY or ALLOW_ANY, with an optional egress proxy. */
export const outboundTrafficPolicy = z.strictObject({
  mode: z.enum(['REGISTRY_ONLY', 'ALLOW_ANY']).optional(),
  egressProxy: destination.optional(),
});
/** What happens to traffic for unknown destinations. */
export type OutboundTrafficPolicy = z.infer<typeof outboundTrafficPolicy>;

/** Istio's Sidecar spec. */
export const sidecarSpec = z.strictObject({
  workloadSelector: networkingWorkloadSelector.optional(),
  ingress: z.array(istioIngressListener).optional(),
  egress: z.array(istioEgressListener).optional(),
  outboundTrafficPolicy: outboundTrafficPolicy.optional(),
  inboundConnectionPool: sidecarConnectionPool.optional(),
});
/** A Sidecar's content. */
export type SidecarSpec = z.infer<typeof sidecarSpec>;

function checkBind(sink: IssueSink, p: Path, bind: string | undefined): void {
  if (bind && !isIPAddress(bind)) sink.error(p, `${bind} is not a valid IP`);
}

function checkIngress(sink: IssueSink, p: Path, l: IstioIngressListener, ports: Set<number>): void {
  if (!l.port) {
    sink.error([...p, 'port'], 'sidecar: port is required for ingress listeners');
    return;
  }
  if ((l.port.targetPort ?? 0) > 0) sink.error([...p, 'port', 'targetPort'], 'targetPort has no impact on Sidecars');
  if (l.port.name) checkPortName(sink, [...p, 'port', 'name'], l.port.name);
  checkProtocol(sink, [...p, 'port', 'protocol'], l.port.protocol);
  const num = l.port.number ?? 0;
  checkPort(sink, [...p, 'port', 'number'], num);
  checkBind(sink, [...p, 'bind'], l.bind);
  if (ports.has(num)) sink.error([...p, 'port', 'number'], 'sidecar: ports on IP bound listeners must be unique');
  ports.add(num);

  const ep = l.defaultEndpoint;
  if (ep) {
    const ePath = [...p, 'defaultEndpoint'];
    if (ep.startsWith(UNIX_PREFIX)) {
      const err = unixAddressError(ep.slice(UNIX_PREFIX.length));
      if (err) sink.error(ePath, err);
    } else {
      const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(ep);
      if (!m) sink.error(ePath, `address ${ep}: missing port in address`);
      else {
        const host = m[1] ?? m[2] ?? '';
        if (host !== '' && !['127.0.0.1', '0.0.0.0', '::1', '::'].includes(host)) {
          sink.error(ePath, 'sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset');
        }
        if (!/^\d+$/.test(m[3]!)) sink.error(ePath, `sidecar: defaultEndpoint port (${m[3]}) is not a number`);
        else checkPort(sink, ePath, Number(m[3]));
      }
    }
  }

  const tls = l.tls;
  if (tls) {
    const tp = [...p, 'tls'];
    if ((tls.subjectAltNames ?? []).length > 0) sink.error([...tp, 'subjectAltNames'], 'sidecar: subjectAltNames is not supported in ingress tls');
    if (tls.httpsRedirect) sink.error([...tp, 'httpsRedirect'], 'sidecar: httpsRedirect is not supported');
    if (tls.credentialName) sink.error([...tp, 'credentialName'], 'sidecar: credentialName is not currently supported');
    if ((tls.credentialNames ?? []).length > 0) sink.error([...tp, 'credentialNames'], 'sidecar: credentialNames is not currently supported');
    if ((tls.tlsCertificates ?? []).length > 0) sink.error([...tp, 'tlsCertificates'], 'sidecar: tls_certificates is not currently supported');
    if (tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'AUTO_PASSTHROUGH') {
      sink.error([...tp, 'mode'], `configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls`);
    }
    if (!isTLSProtocol(parseProtocol(l.port.protocol))) sink.error(tp, 'server cannot have TLS settings for non HTTPS/TLS ports');
    checkServerTLS(sink, tp, tls);
  }
  checkConnectionPool(sink, [...p, 'connectionPool'], l.connectionPool);
  if (l.connectionPool?.http && !isHTTPProtocol(parseProtocol(l.port.protocol))) {
    sink.warn([...p, 'connectionPool', 'http'], `sidecar: HTTP connection pool settings are configured for port ${num} ("${l.port.name ?? ''}") but its protocol is not HTTP (${l.port.protocol ?? ''}); only TCP settings will apply`, SCHEMA_WARNING);
  }
}

function checkEgress(sink: IssueSink, p: Path, l: IstioEgressListener, ports: Set<number>, sockets: Set<string>, namespace: string): void {
  if (l.port) {
    const pp = [...p, 'port'];
    if ((l.port.targetPort ?? 0) > 0) sink.error([...pp, 'targetPort'], 'targetPort has no impact on Sidecars');
    if (l.port.name) checkPortName(sink, [...pp, 'name'], l.port.name);
    checkProtocol(sink, [...pp, 'protocol'], l.port.protocol);
    const bind = l.bind ?? '';
    const num = l.port.number ?? 0;
    if (num === 0) {
      if (!bind.startsWith(UNIX_PREFIX)) sink.error([...p, 'bind'], 'sidecar: ports with 0 value must have a unix domain socket bind address');
      else {
        const err = unixAddressError(bind.slice(UNIX_PREFIX.length));
        if (err) sink.error([...p, 'bind'], err);
      }
      if (l.captureMode && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') {
        sink.error([...p, 'captureMode'], 'sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners');
      }
      // Valid Istio YAML, but the proxy opens no listener on a unix:// egress bind (src/translate/listener/
      // sidecar-egress-bind.ts builds IP binds only): say so, as every field Weft accepts and does not run.
      if (bind.startsWith(UNIX_PREFIX)) sink.warn([...p, 'bind'], `a unix domain socket egress bind (${bind}) is not listened on: Weft binds egress listeners on IP addresses only`, 'WFT0100');
      if (sockets.has(bind)) sink.error([...p, 'bind'], 'sidecar: unix domain socket values for listeners must be unique');
      sockets.add(bind);
    } else {
      checkPort(sink, [...pp, 'number'], num);
      checkBind(sink, [...p, 'bind'], l.bind);
      if (ports.has(num)) sink.error([...pp, 'number'], 'sidecar: ports on IP bound listeners must be unique');
      ports.add(num);
    }
  }
  const hosts = l.hosts ?? [];
  if (hosts.length === 0) {
    sink.error([...p, 'hosts'], 'sidecar: egress listener must contain at least one host');
    return;
  }
  const byNs = new Map<string, Set<string>>();
  hosts.forEach((h, i) => {
    const hp = [...p, 'hosts', i];
    const slash = h.indexOf('/');
    if (slash >= 0) {
      const ns = h.slice(0, slash) === '.' ? namespace : h.slice(0, slash);
      const svc = h.slice(slash + 1);
      const seen = byNs.get(ns) ?? new Set<string>();
      byNs.set(ns, seen);
      if (svc !== '*' ? seen.has(svc) || seen.has('*') : seen.size > 0) sink.warn(hp, `duplicated egress host: ${h}`, SCHEMA_WARNING);
      seen.add(svc);
    }
    checkNamespacedHost(sink, hp, h, false);
  });
  if (byNs.get('*')?.has('*') && byNs.size !== 1) sink.warn([...p, 'hosts'], '`*/*` host select all resources, no other hosts can be added', SCHEMA_WARNING);
}

/** Runs Istio's Sidecar webhook checks; paths are relative to the spec. */
export function checkSidecar(spec: SidecarSpec, sink: IssueSink, meta: ObjectMeta): void {
  if (spec.workloadSelector) {
    checkSelectorLabels(sink, ['workloadSelector', 'labels'], spec.workloadSelector.labels,
      'sidecar: workload selector specified without labels, will be applied to all services in namespace');
  }
  const ingress = spec.ingress ?? [];
  const egress = spec.egress ?? [];
  if (ingress.length === 0 && egress.length === 0 && !spec.outboundTrafficPolicy && !spec.inboundConnectionPool) {
    sink.error([], 'sidecar: empty configuration provided');
    return;
  }
  const ingressPorts = new Set<number>();
  ingress.forEach((l, i) => checkIngress(sink, ['ingress', i], l, ingressPorts));
  checkConnectionPool(sink, ['inboundConnectionPool'], spec.inboundConnectionPool);

  const egressPorts = new Set<number>();
  const sockets = new Set<string>();
  let catchAll = false;
  egress.forEach((l, i) => {
    if (!l.port) {
      if (catchAll) {
        sink.error(['egress', i], 'sidecar: egress can have only one listener with empty port');
        return;
      }
      if (i === egress.length - 1) catchAll = true;
      else sink.error(['egress', i], 'sidecar: the egress listener with empty port should be the last listener in the list');
    }
    checkEgress(sink, ['egress', i], l, egressPorts, sockets, meta.namespace);
  });

  const otp = spec.outboundTrafficPolicy;
  if (otp?.egressProxy) {
    const ep = ['outboundTrafficPolicy', 'egressProxy'];
    if (otp.mode !== 'ALLOW_ANY') sink.error(ep, 'sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode');
    else {
      const err = fqdnError(otp.egressProxy.host);
      if (err) sink.error([...ep, 'host'], err);
      if (!otp.egressProxy.port) sink.error([...ep, 'port'], 'sidecar: egress_proxy port must be non-nil');
      else checkDestination(sink, ep, otp.egressProxy);
    }
  }
}

/** The Sidecar kind: schema and Istio's webhook checks (no deprecated fields to map). */
export const sidecarKind = defineKind<SidecarSpec>({
  kind: 'Sidecar',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'sidecars',
  namespaced: true,
  schema: sidecarSpec,
  check: checkSidecar,
});
