/**
 * A listener compiled once per push into the one structure HTTP, TCP and TLS dispatch all read:
 * its filter chains, each with its match, its transport (the DownstreamTlsContext when the chain
 * terminates TLS), its network RBAC, and either a TCP proxy plan ({@link TcpRoute}) or an HTTP
 * connection manager ({@link HcmRuntime}: route table, security, access logs, tracing and the HTTP
 * filter chain built from `httpFilters`).
 *
 * Every chain of the listener is compiled, including chains no entry point selects yet (mTLS
 * inbound chains, SNI chains of a gateway, the default chain), and anything that fails throws
 * {@link SnapshotError}, so a bad filter config on ANY chain NACKs the whole listener update and the
 * proxy keeps its last good snapshot — as Envoy builds every filter chain's network filter
 * factories when a listener is added and rejects the update when one fails
 * (source/common/listener_manager/listener_impl.cc `ListenerImpl` → `addFilterChains`,
 * filter_chain_manager_impl.cc; unknown HTTP filter: http_connection_manager/config.cc
 * "Didn't find a registered implementation for …").
 *
 * Compiled listeners are cached per Listener object, so an unchanged listener is not compiled
 * again by a push that changes something else.
 */
import { compileFilterChainMatcher, type ConnectionInfo, type FilterChainMatcher } from '../../envoy/filter-chain-matcher.js';
import type { NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import type { DownstreamTlsContext, FilterChain, FilterChainMatch, Listener } from '../../envoy/types.js';
import { compileHcmRuntime, hcmConfigOf, type Direction, type HcmRuntime } from '../hcm/hcm-runtime.js';
import { SnapshotError, SnapshotErrorCode } from '../hcm/snapshot-error.js';
import { compileChainNetworkRbac, compileChainTcpRoute, type TcpRoute } from './tcp-route.js';
import { downstreamTls } from '../tls/downstream-tls.js';
import { isTlsGatewayListener } from './gateway-tls-plan.js';

/** A chain's downstream TLS termination. */
export interface DownstreamTransport {
  readonly context: DownstreamTlsContext;
  /** `requireClientCertificate`: a handshake without a client certificate is refused (mTLS STRICT). */
  readonly requireClientCertificate: boolean;
}

/** One filter chain, compiled. */
export interface CompiledFilterChain {
  /** The chain's name (or a name derived from the listener), for diagnostics and stats. */
  readonly name: string;
  readonly config: FilterChain;
  readonly match: FilterChainMatch | undefined;
  /** TLS termination; undefined for plaintext (raw_buffer) chains. */
  readonly transport: DownstreamTransport | undefined;
  /** The chain's network RBAC filters (AuthorizationPolicy on TCP); undefined when none. */
  readonly rbac: readonly NetworkRbacStage[] | undefined;
  /** The TCP proxy plan, when the chain's terminal network filter is `tcp_proxy`. */
  readonly tcp: TcpRoute | undefined;
  /** The HTTP connection manager, when the chain's terminal network filter is one. */
  readonly http: HcmRuntime | undefined;
}

/** One listener, compiled. */
export interface CompiledListener {
  readonly name: string;
  readonly config: Listener;
  /** Where its HTTP requests come from: `virtualInbound` inbound, not-bound listeners outbound, others gateway. */
  readonly direction: Direction;
  /** `filterChains`, compiled, in config order. */
  readonly chains: readonly CompiledFilterChain[];
  readonly defaultChain: CompiledFilterChain | undefined;
  /** The compiled form of one of this listener's chain objects. */
  chainOf(chain: FilterChain | undefined): CompiledFilterChain | undefined;
  /** Envoy's filter-chain match for a connection (filter-chain-matcher.ts), compiled. */
  select(conn: ConnectionInfo): CompiledFilterChain | undefined;
}

/** Where a listener's HTTP requests come from. */
export function listenerDirection(name: string, l: Listener): Direction {
  if (name === 'virtualInbound') return 'inbound';
  if (name === 'virtualOutbound') return 'outbound';
  return l.bindToPort !== undefined && l.bindToPort.value !== true ? 'outbound' : 'gateway';
}

const listenerCache = new WeakMap<Listener, Map<string, CompiledListener>>();
const byChain = new WeakMap<FilterChain, CompiledFilterChain>();

const byListener = new WeakMap<Listener, CompiledListener>();

/** The compiled form of a listener of an accepted push (undefined: never compiled). */
/**
 * The destination ports `virtualInbound`'s chains match on (its own 15006 excluded): the ports an
 * inbound plan is worked out for, by HTTP (inbound-plan.ts) and TCP (tcp-routes.ts) dispatch alike.
 */
export function inboundChainPorts(l: CompiledListener): ReadonlySet<number> {
  const ports = new Set<number>();
  for (const fc of l.chains) {
    const p = fc.match?.destinationPort?.value;
    if (p !== undefined && p !== 15006) ports.add(p);
  }
  return ports;
}

export function compiledListenerOf(l: Listener): CompiledListener | undefined {
  return byListener.get(l);
}

/** The compiled form of a chain of any listener of an accepted push (undefined: never compiled). */
export function compiledChainOf(chain: FilterChain | undefined): CompiledFilterChain | undefined {
  return chain !== undefined ? byChain.get(chain) : undefined;
}

/** Compiles a listener; throws {@link SnapshotError} `PROXY_INVALID_LISTENER` naming the listener and the chain. */
export function compileListener(l: Listener, name: string): CompiledListener {
  const cached = listenerCache.get(l)?.get(name);
  if (cached) return cached;
  let out: CompiledListener;
  try {
    out = compile(l, name);
  } catch (err) {
    if (err instanceof SnapshotError && err.code !== SnapshotErrorCode.InvalidListener) throw err;
    throw new SnapshotError(SnapshotErrorCode.InvalidListener, `listener ${name}: ${err instanceof SnapshotError ? err.message.slice(SnapshotErrorCode.InvalidListener.length + 2) : (err as Error).message}`, { cause: err });
  }
  let m = listenerCache.get(l);
  if (!m) listenerCache.set(l, (m = new Map()));
  m.set(name, out);
  byListener.set(l, out);
  return out;
}

function compile(l: Listener, name: string): CompiledListener {
  const direction = listenerDirection(name, l);
  const matcher: FilterChainMatcher = compileFilterChainMatcher(l);
  const inbound = name === 'virtualInbound';
  // Istio names every chain; unnamed chains take the names the dispatchers used before.
  const chainNamed = inbound || (direction === 'gateway' && isTlsGatewayListener(l));
  const compiled = new Map<FilterChain, CompiledFilterChain>();
  const all = [...(l.filterChains ?? []), ...(l.defaultFilterChain ? [l.defaultFilterChain] : [])];
  all.forEach((chain, i) => {
    const ctx = downstreamTls(chain);
    const port = chain.filterChainMatch?.destinationPort?.value;
    const fallback = inbound && port !== undefined ? `inbound_${port}` : chainNamed ? `${name}#${i}` : name;
    const rbac = compileChainNetworkRbac(chain, chain.name ?? fallback);
    const hcmConfig = hcmConfigOf(chain);
    // HCM errors name the connection manager (the chain, or the listener) and the failing filter.
    const http = hcmConfig ? compileHcmRuntime(hcmConfig, chainNamed ? (chain.name ?? fallback) : name, direction) : undefined;
    const tcp = compileChainTcpRoute(chain, chain.name ?? (inbound && port !== undefined && ctx ? `inbound_${port}_mtls` : fallback), rbac);
    const c: CompiledFilterChain = {
      name: chain.name ?? fallback, config: chain, match: chain.filterChainMatch,
      transport: ctx ? { context: ctx, requireClientCertificate: ctx.requireClientCertificate?.value === true } : undefined,
      rbac, tcp, http,
    };
    compiled.set(chain, c);
  });
  for (const [chain, c] of compiled) byChain.set(chain, c);
  const chains = (l.filterChains ?? []).map((c) => compiled.get(c)!);
  return {
    name, config: l, direction, chains,
    defaultChain: l.defaultFilterChain ? compiled.get(l.defaultFilterChain) : undefined,
    chainOf: (chain) => (chain !== undefined ? compiled.get(chain) : undefined),
    select: (conn) => {
      const chain = matcher.select(conn);
      return chain !== undefined ? compiled.get(chain) : undefined;
    },
  };
}
