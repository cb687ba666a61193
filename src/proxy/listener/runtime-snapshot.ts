/**
 * The proxy's immutable runtime snapshot: everything a request needs, compiled from one consistent
 * set of accepted xDS resources — HTTP entry points by port (sidecar outbound `0.0.0.0_<port>`,
 * `virtualInbound` chains by destination port, gateway listeners), compiled route tables by RDS
 * name, and clusters (validated at compile time; host sets and load balancers built on first use,
 * see cluster-table.ts). A new snapshot is built for every accepted push and swapped in with one
 * reference assignment; requests keep the snapshot they started on.
 * Every listener is compiled once per push (compiled-listener.ts: every filter chain with its match,
 * TLS transport, network RBAC and TCP proxy or HTTP connection manager); the HTTP entry points
 * above, the TCP entry points (tcp-routes.ts) and the inbound TLS plans (inbound-plan.ts)
 * are all selected from those compiled chains here, at push time, never compiled again.
 * A resource set that cannot compile throws {@link SnapshotError}, which the xDS client NACKs.
 */
import type { FilterChain, TcpProxy } from '../../envoy/types.js';
import type { RouteTable } from '../../envoy/route-table.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { compileClusters, type ClusterTable } from '../upstream/cluster-table.js';
import { compileGatewayTls, isTlsGatewayListener, type GatewayTlsPlan } from './gateway-tls-plan.js';
import { compileListener, type CompiledListener } from './compiled-listener.js';
import { compileRouteConfiguration, fallbackHcm, type HcmRuntime } from '../hcm/hcm-runtime.js';
import { SnapshotError, SnapshotErrorCode } from '../hcm/snapshot-error.js';
import { compileTcpEntryPoints, type TcpEntryPoints } from './tcp-routes.js';
import { compileInboundPlans, type InboundPortPlan } from './inbound-plan.js';
import type { XdsResources } from '../upstream/xds-resources.js';

export { DEFAULT_REQUEST_HEADERS_TIMEOUT_MS, downstreamTimeouts, type Direction, type HcmRuntime } from '../hcm/hcm-runtime.js';
export { SnapshotError, SnapshotErrorCode } from '../hcm/snapshot-error.js';
export { EMPTY_RESOURCES, withUpdate, type XdsResources } from '../upstream/xds-resources.js';

/** A gateway listener to bind. */
export interface GatewayBinding {
  readonly listenerName: string;
  readonly port: number;
  readonly hcm: HcmRuntime;
  /** Present when the listener expects TLS: its chains by SNI (gateway TLS termination / PASSTHROUGH). */
  readonly tls?: GatewayTlsPlan;
}

/** Options of {@link compileSnapshot}. */
export interface CompileOptions {
  /** The pod IP inbound filter chains are matched against. */
  readonly podIp: string;
  readonly clusterManager: ClusterManager;
}

const TCP_PROXY_NAME = 'envoy.filters.network.tcp_proxy';

/** What the dispatchers read, computed from the compiled listeners at push time. */
export interface CompiledEntryPoints {
  /** Every listener, compiled once (compiled-listener.ts): HTTP, TCP and TLS dispatch read its chains. */
  readonly listeners: ReadonlyMap<string, CompiledListener>;
  /** The pod IP the entry points below were selected for. */
  readonly podIp: string;
  /** TCP entry points (tcp-routes.ts). */
  readonly tcp: TcpEntryPoints;
  /** How each inbound port accepts connections: plaintext and/or TLS (inbound-plan.ts). */
  readonly inboundPlans: ReadonlyMap<number, InboundPortPlan>;
}

/** A compiled, immutable runtime configuration. */
export class RuntimeSnapshot {
  constructor(
    readonly resources: XdsResources,
    /** Sidecar outbound HTTP entry points by destination port. */
    readonly outboundByPort: ReadonlyMap<number, HcmRuntime>,
    /**
     * Requests to a port without an outbound listener: routed to `virtualOutbound`'s default chain
     * cluster (PassthroughCluster under ALLOW_ANY, BlackHoleCluster under REGISTRY_ONLY).
     */
    readonly outboundFallback: HcmRuntime | undefined,
    /** Sidecar inbound HTTP entry points by destination port (`virtualInbound`). */
    readonly inboundByPort: ReadonlyMap<number, HcmRuntime>,
    /** Gateway listeners to bind, by listener name. */
    readonly gateways: ReadonlyMap<string, GatewayBinding>,
    readonly routeTables: ReadonlyMap<string, RouteTable>,
    /** Clusters by name; a cluster's runtime is built on first {@link ClusterTable.get} (cluster-table.ts). */
    readonly clusters: ClusterTable,
    /** The compiled listeners and the TCP and inbound TLS entry points read from them. */
    readonly compiled: CompiledEntryPoints,
  ) {}

  /** The route table an HCM uses now (undefined: RDS not received yet). */
  routeTable(hcm: HcmRuntime): RouteTable | undefined {
    return hcm.inlineTable ?? (hcm.rdsName !== undefined ? this.routeTables.get(hcm.rdsName) : undefined);
  }

  /** True once listeners and clusters arrived and every referenced route configuration is present. */
  get ready(): boolean {
    if (this.resources.versions[TypeUrl.Listener] === undefined || this.resources.versions[TypeUrl.Cluster] === undefined) return false;
    for (const hcm of this.allHcms()) if (this.routeTable(hcm) === undefined) return false;
    return true;
  }

  private *allHcms(): Iterable<HcmRuntime> {
    yield* this.outboundByPort.values();
    yield* this.inboundByPort.values();
    for (const g of this.gateways.values()) {
      yield g.hcm;
      for (const c of g.tls?.chains ?? []) if (c.hcm) yield c.hcm;
    }
  }
}

/** Compiles a snapshot; throws {@link SnapshotError} when a resource cannot be served. */
export function compileSnapshot(resources: XdsResources, opts: CompileOptions): RuntimeSnapshot {
  const routeTables = new Map<string, RouteTable>();
  for (const [name, rc] of resources.routes) routeTables.set(name, compileRouteConfiguration(rc, `route configuration ${name}`));

  const outbound = new Map<number, HcmRuntime>();
  const inbound = new Map<number, HcmRuntime>();
  const gateways = new Map<string, GatewayBinding>();
  const listeners = new Map<string, CompiledListener>();
  let fallback: HcmRuntime | undefined;
  for (const [name, l] of resources.listeners) {
    // Every chain of every listener compiled once, here (compiled-listener.ts): a bad config on any
    // chain throws SnapshotError and the push is NACKed.
    const cl = compileListener(l, name);
    listeners.set(name, cl);
    try {
      if (name === 'virtualOutbound') {
        const cluster = tcpCluster(l.defaultFilterChain);
        if (cluster !== undefined) fallback = fallbackHcm(cluster);
      } else if (name === 'virtualInbound') {
        compileInbound(cl, opts.podIp, inbound);
      } else if (cl.direction === 'outbound') {
        const port = l.address?.socketAddress?.portValue;
        const hcm = cl.chains[0]?.http;
        if (port !== undefined && hcm) outbound.set(port, hcm);
      } else if (isTlsGatewayListener(l)) {
        // Gateway TLS (src/proxy/listener/gateway-dispatch.ts): chains picked per connection by SNI.
        const port = l.address?.socketAddress?.portValue;
        const tls = compileGatewayTls(cl);
        const hcm = tls.chains.find((c) => c.hcm)?.hcm ?? fallbackHcm('BlackHoleCluster');
        if (port !== undefined) gateways.set(name, { listenerName: name, port, hcm, tls });
      } else {
        const port = l.address?.socketAddress?.portValue;
        const hcm = cl.select({ destinationIp: '127.0.0.1', destinationPort: port ?? 0, transportProtocol: 'raw_buffer', sourceIp: '127.0.0.1', sourcePort: 0 })?.http;
        if (port !== undefined && hcm) gateways.set(name, { listenerName: name, port, hcm });
      }
    } catch (err) {
      if (err instanceof SnapshotError) throw err;
      throw new SnapshotError(SnapshotErrorCode.InvalidListener, `listener ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  const compiled: CompiledEntryPoints = {
    listeners, podIp: opts.podIp, tcp: compileTcpEntryPoints(listeners, opts.podIp), inboundPlans: compileInboundPlans(listeners, inbound, opts.podIp),
  };

  const cm = opts.clusterManager;
  const clusters = compileClusters(resources, cm, cm.committed, (c, cla) => cm.validate(c, cla), (name, err) => {
    const code = (err as { code?: unknown }).code;
    return new SnapshotError(SnapshotErrorCode.InvalidCluster, `cluster ${name}: ${typeof code === 'string' ? `${code} ` : ''}${(err as Error).message}`, { cause: err });
  });
  return new RuntimeSnapshot(resources, outbound, fallback, inbound, gateways, routeTables, clusters, compiled);
}

function compileInbound(l: CompiledListener, podIp: string, out: Map<number, HcmRuntime>): void {
  const ports = new Set<number>();
  for (const fc of l.chains) {
    const p = fc.match?.destinationPort?.value;
    if (p !== undefined && p !== 15006) ports.add(p);
  }
  for (const port of ports) {
    const hcm = l.select({ destinationIp: podIp, destinationPort: port, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'], sourceIp: '127.0.0.1', sourcePort: 0 })?.http;
    if (hcm) out.set(port, hcm);
  }
}

function tcpCluster(chain: FilterChain | undefined): string | undefined {
  const f = chain?.filters?.find((x) => x.name === TCP_PROXY_NAME || x.typedConfig?.['@type'] === TypeUrl.TcpProxy);
  return (f?.typedConfig as TcpProxy | undefined)?.cluster;
}
