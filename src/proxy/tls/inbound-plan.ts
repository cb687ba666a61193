/**
 * How each inbound port of a sidecar accepts connections, read from the `virtualInbound` listener
 * with Envoy's filter-chain matching (filter-chain-matcher.ts), once for a plaintext connection
 * (`transportProtocol: raw_buffer`) and once for a TLS one (`tls`, ALPN `istio`/`http/1.1`):
 * - a chain with an HTTP connection manager and no TLS transport socket accepts plaintext;
 * - a chain with a DownstreamTlsContext accepts TLS (and requires a client certificate when
 *   `requireClientCertificate` is set);
 * so PeerAuthentication STRICT (TLS chains only) refuses plaintext, PERMISSIVE (both) detects per
 * connection, DISABLE (plaintext only) serves plaintext. Computed once per runtime snapshot.
 */
import { hcmMetricsPolicy } from '../stats/metrics-policy.js';
import { compileFilterChainMatcher } from '../../envoy/filter-chain-matcher.js';
import { compileRouteTable } from '../../envoy/route-table.js';
import type { DownstreamTlsContext, FilterChain, HttpConnectionManager, Listener } from '../../envoy/types.js';
import { compileHttpFilterChain } from '../filters/http-filter-registry.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { downstreamTimeouts, type HcmRuntime, type RuntimeSnapshot } from '../runtime-snapshot.js';
import { compileAccessLogs } from '../access-log/access-logger.js';
import { compileTracing } from '../tracing/tracing-config.js';

/** TLS termination of one inbound port. */
export interface InboundTlsPlan {
  readonly chainName: string;
  readonly context: DownstreamTlsContext;
  readonly hcm: HcmRuntime;
  readonly requireClientCertificate: boolean;
}

/** What one inbound port accepts. */
export interface InboundPortPlan {
  readonly port: number;
  /** Entry point for plaintext connections; undefined = plaintext refused. */
  readonly plaintext: HcmRuntime | undefined;
  /** TLS termination; undefined = TLS not offered. */
  readonly tls: InboundTlsPlan | undefined;
}

const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const plans = new WeakMap<RuntimeSnapshot, ReadonlyMap<number, InboundPortPlan>>();
const hcmCache = new WeakMap<object, HcmRuntime>();

/** The plans of every inbound port of a snapshot (cached per snapshot). */
export function inboundPlans(snapshot: RuntimeSnapshot, podIp: string): ReadonlyMap<number, InboundPortPlan> {
  let p = plans.get(snapshot);
  if (!p) {
    p = computePlans(snapshot, podIp);
    plans.set(snapshot, p);
  }
  return p;
}

function computePlans(snapshot: RuntimeSnapshot, podIp: string): Map<number, InboundPortPlan> {
  const out = new Map<number, InboundPortPlan>();
  const l: Listener | undefined = snapshot.resources.listeners.get('virtualInbound');
  if (!l) return out;
  const matcher = compileFilterChainMatcher(l);
  const ports = new Set<number>();
  for (const fc of l.filterChains ?? []) {
    const p = fc.filterChainMatch?.destinationPort?.value;
    if (p !== undefined && p !== 15006) ports.add(p);
  }
  const base = { destinationIp: podIp, sourceIp: '127.0.0.1', sourcePort: 0 };
  for (const port of ports) {
    const raw = matcher.select({ ...base, destinationPort: port, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'] });
    const tls = matcher.select({ ...base, destinationPort: port, transportProtocol: 'tls', applicationProtocols: ['istio-http/1.1', 'istio', 'http/1.1'] });
    const plainHcm = raw && !downstreamTls(raw) ? (snapshot.inboundByPort.get(port) ?? hcmOf(raw, port)) : undefined;
    const tlsCtx = tls ? downstreamTls(tls) : undefined;
    const tlsHcm = tls && tlsCtx ? hcmOf(tls, port) : undefined;
    out.set(port, {
      port,
      plaintext: plainHcm,
      tls: tls && tlsCtx && tlsHcm
        ? { chainName: tls.name ?? '', context: tlsCtx, hcm: tlsHcm, requireClientCertificate: tlsCtx.requireClientCertificate?.value === true }
        : undefined,
    });
  }
  return out;
}

/** The DownstreamTlsContext of a chain's transport socket, if it terminates TLS. */
export function downstreamTls(chain: FilterChain): DownstreamTlsContext | undefined {
  const ts = chain.transportSocket;
  if (!ts) return undefined;
  const cfg = ts.typedConfig as ({ '@type'?: string } & DownstreamTlsContext) | undefined;
  if (ts.name !== 'envoy.transport_sockets.tls' && cfg?.['@type'] !== TypeUrl.DownstreamTlsContext) return undefined;
  return cfg ?? {};
}

function hcmOf(chain: FilterChain, port: number): HcmRuntime | undefined {
  const f = chain.filters?.find((x) => x.name === HCM_NAME || x.typedConfig?.['@type'] === TypeUrl.HttpConnectionManager);
  if (!f?.typedConfig) return undefined;
  const cached = hcmCache.get(f.typedConfig);
  if (cached) return cached;
  const config = f.typedConfig as unknown as HttpConnectionManager;
  const inline = config.routeConfig ? compileRouteTable(config.routeConfig) : undefined;
  const rdsName = config.rds?.routeConfigName;
  if (!inline && !rdsName) return undefined;
  const hcm: HcmRuntime = {
    name: chain.name ?? `inbound_${port}`, direction: 'inbound', rdsName, inlineTable: inline,
    useRemoteAddress: config.useRemoteAddress?.value === true,
    generateRequestId: config.generateRequestId?.value !== false,
    ...downstreamTimeouts(config),
    accessLogs: compileAccessLogs(config.accessLog),
    tracing: compileTracing(config.tracing, config.requestIdExtension?.typedConfig),
    filters: compileHttpFilterChain(config, chain.name ?? `inbound_${port}`),
    metrics: hcmMetricsPolicy(config),
    config,
  };
  hcmCache.set(f.typedConfig, hcm);
  return hcm;
}
