/**
 * Filter-chain selection for a new connection, with Envoy's documented algorithm (listener
 * `FilterChainMatch` docs; `FilterChainManagerImpl::findFilterChain*` in envoyproxy/envoy).
 *
 * Criteria are applied in this order, each keeping only the chains with the MOST SPECIFIC value
 * that matches the connection, and a chain that leaves a criterion unset matching anything:
 *  1. destination port (exact, else chains without a port);
 *  2. destination IP (longest matching `prefixRanges`; no ranges = 0.0.0.0/0 and ::/0);
 *  3. server name / SNI (exact, then `*.a.b.c` wildcards from the longest suffix, then none);
 *  4. transport protocol (exact, else none);
 *  5. application protocols / ALPN (the first of the connection's protocols any chain names, else none);
 *  6. direct source IP (longest `directSourcePrefixRanges`);
 *  7. source type (SAME_IP_OR_LOOPBACK for a loopback source or source IP = destination IP, else
 *     EXTERNAL; chains of that type win over ANY);
 *  8. source IP (longest `sourcePrefixRanges`);
 *  9. source port (exact, else chains without ports).
 * There is no backtracking: once a level picks its most specific value, a failure further down
 * does not retry a less specific one, and the listener's `defaultFilterChain` (or none) is used.
 * As in Envoy, a connection to a port that some chain names never falls back to the chains
 * without a port. Server names are matched lower-case. Chains whose criteria overlap completely
 * and partial wildcards such as `foo*.com` are config errors, as Envoy rejects them. Unparseable
 * IPs are matched as 255.255.255.255 (only catch-all ranges match), as Envoy does for pipes.
 */
import { CATCH_ALL, cidrContains, cidrFromRange, isLoopback, parseIp, sameIp, type Cidr, type IpBytes } from './cidr.js';
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import type { CidrRange, FilterChain, Listener } from './types.js';

/** What filter-chain matching knows about a connection (after listener filters ran). */
export interface ConnectionInfo {
  /** The original destination (after original-dst), i.e. the socket's local address. */
  readonly destinationIp: string;
  readonly destinationPort: number;
  /** SNI from the TLS ClientHello, when there was one. */
  readonly serverName?: string;
  /** `raw_buffer` or `tls` (tls_inspector's detection). */
  readonly transportProtocol: string;
  /** ALPN offered by the client, in its order (or `http/1.1` / `h2c` from http_inspector). */
  readonly applicationProtocols?: readonly string[];
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** The directly connected peer when a PROXY header rewrote the source; defaults to sourceIp. */
  readonly directSourceIp?: string;
}

/** A listener's filter chains compiled for selection. */
export interface FilterChainMatcher {
  /** The chain for a connection: the best match, else `defaultFilterChain`, else undefined. */
  select(conn: ConnectionInfo): FilterChain | undefined;
}

type PortNode<T> = Map<number, T>;
type CidrNode<T> = { cidr: Cidr; child: T }[];
type SourceTypeNode = { local?: CidrNode<PortNode<FilterChain>>; external?: CidrNode<PortNode<FilterChain>>; any?: CidrNode<PortNode<FilterChain>> };
type AlpnNode = Map<string, CidrNode<SourceTypeNode>>;
type TransportNode = Map<string, AlpnNode>;
type SniNode = Map<string, TransportNode>;
type Tree = PortNode<CidrNode<SniNode>>;

const FAKE_IP: IpBytes = new Uint8Array([255, 255, 255, 255]);

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    m.set(k, v);
  }
  return v;
}

function cidrsOf(ranges: readonly CidrRange[] | undefined, where: string): readonly Cidr[] {
  if (!ranges || ranges.length === 0) return CATCH_ALL;
  return ranges.map((r, i) => cidrFromRange(r, `${where}[${i}]`));
}

function cidrChild<T>(node: CidrNode<T>, cidr: Cidr, make: () => T): T {
  const hit = node.find((e) => e.cidr.key === cidr.key);
  if (hit) return hit.child;
  const child = make();
  node.push({ cidr, child });
  node.sort((a, b) => b.cidr.prefixLen - a.cidr.prefixLen);
  return child;
}

/** Runs `fn` on the child node of each CIDR, creating it on demand; equal CIDRs share one child. */
function eachCidrChild<T>(node: CidrNode<T>, cidrs: readonly Cidr[], make: () => T, fn: (child: T) => void): void {
  for (const c of cidrs) fn(cidrChild(node, c, make));
}

function lookupCidr<T>(node: CidrNode<T>, ip: IpBytes): T | undefined {
  for (const e of node) if (cidrContains(e.cidr, ip)) return e.child;
  return undefined;
}

function insert(tree: Tree, fc: FilterChain, where: string): void {
  const m = fc.filterChainMatch ?? {};
  const serverNames = (m.serverNames ?? []).map((raw, i) => {
    const name = raw.toLowerCase();
    if (name.includes('*') && !name.startsWith('*.')) {
      throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidFilterChains, `${where}.filterChainMatch.serverNames[${i}]`, 'partial wildcards are not supported in "serverNames"');
    }
    return name.startsWith('*.') ? name.slice(1) : name;
  });
  const sni = serverNames.length ? serverNames : [''];
  const alpn = m.applicationProtocols?.length ? m.applicationProtocols : [''];
  const ports = m.sourcePorts?.length ? m.sourcePorts : [0];
  const dst = cidrsOf(m.prefixRanges, `${where}.filterChainMatch.prefixRanges`);
  const direct = cidrsOf(m.directSourcePrefixRanges, `${where}.filterChainMatch.directSourcePrefixRanges`);
  const src = cidrsOf(m.sourcePrefixRanges, `${where}.filterChainMatch.sourcePrefixRanges`);
  const type = m.sourceType === 'SAME_IP_OR_LOOPBACK' ? 'local' : m.sourceType === 'EXTERNAL' ? 'external' : 'any';

  const ipNode = getOr(tree, m.destinationPort?.value ?? 0, () => []);
  eachCidrChild(ipNode, dst, () => new Map() as SniNode, (sniNode) => {
    for (const name of sni) {
      const alpnNode = getOr(getOr(sniNode, name, () => new Map() as TransportNode), m.transportProtocol ?? '', () => new Map() as AlpnNode);
      for (const proto of alpn) {
        eachCidrChild(getOr(alpnNode, proto, () => []), direct, () => ({}) as SourceTypeNode, (types) => {
          const srcNode = (types[type] ??= []);
          eachCidrChild(srcNode, src, () => new Map<number, FilterChain>(), (portNode) => {
            for (const port of ports) {
              if (portNode.has(port)) {
                throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidFilterChains, `${where}.filterChainMatch`, 'multiple filter chains with overlapping matching rules are defined');
              }
              portNode.set(port, fc);
            }
          });
        });
      }
    }
  });
}

function selectSni(node: SniNode, serverName: string): TransportNode | undefined {
  const exact = node.get(serverName);
  if (exact) return exact;
  let pos = serverName.indexOf('.', 1);
  while (pos >= 0 && pos < serverName.length - 1) {
    const wild = node.get(serverName.slice(pos));
    if (wild) return wild;
    pos = serverName.indexOf('.', pos + 1);
  }
  return node.get('');
}

function selectSource(types: SourceTypeNode, conn: ConnectionInfo, src: IpBytes, dst: IpBytes): FilterChain | undefined {
  let node: CidrNode<PortNode<FilterChain>> | undefined;
  if (types.local || types.external) {
    const local = isLoopback(src) || sameIp(src, dst);
    node = local ? types.local : types.external;
  }
  node ??= types.any;
  if (!node) return undefined;
  const ports = lookupCidr(node, src);
  if (!ports) return undefined;
  return ports.get(conn.sourcePort) ?? (conn.sourcePort !== 0 ? ports.get(0) : undefined);
}

/** Compiles a listener's filter chains; throws EnvoyConfigError where Envoy would reject them. */
export function compileFilterChainMatcher(listener: Pick<Listener, 'filterChains' | 'defaultFilterChain'>): FilterChainMatcher {
  const tree: Tree = new Map();
  (listener.filterChains ?? []).forEach((fc, i) => insert(tree, fc, `filterChains[${i}]`));
  const fallback = listener.defaultFilterChain;

  function find(conn: ConnectionInfo): FilterChain | undefined {
    const ipNode = tree.get(conn.destinationPort) ?? tree.get(0);
    if (!ipNode) return undefined;
    const dst = parseIp(conn.destinationIp) ?? FAKE_IP;
    const sniNode = lookupCidr(ipNode, dst);
    if (!sniNode) return undefined;
    const transportNode = selectSni(sniNode, (conn.serverName ?? '').toLowerCase());
    if (!transportNode) return undefined;
    const alpnNode = transportNode.get(conn.transportProtocol) ?? transportNode.get('');
    if (!alpnNode) return undefined;
    let directNode: CidrNode<SourceTypeNode> | undefined;
    for (const p of conn.applicationProtocols ?? []) {
      directNode = alpnNode.get(p);
      if (directNode) break;
    }
    directNode ??= alpnNode.get('');
    if (!directNode) return undefined;
    const src = parseIp(conn.sourceIp) ?? FAKE_IP;
    const direct = conn.directSourceIp === undefined ? src : (parseIp(conn.directSourceIp) ?? FAKE_IP);
    const types = lookupCidr(directNode, direct);
    if (!types) return undefined;
    return selectSource(types, conn, src, dst);
  }

  return {
    select(conn: ConnectionInfo): FilterChain | undefined {
      return find(conn) ?? fallback;
    },
  };
}

const matchers = new WeakMap<object, FilterChainMatcher>();

/** Selects a listener's filter chain for a connection; compiles once per Listener object. */
export function selectFilterChain(listener: Listener, conn: ConnectionInfo): FilterChain | undefined {
  let m = matchers.get(listener);
  if (!m) {
    m = compileFilterChainMatcher(listener);
    matchers.set(listener, m);
  }
  return m.select(conn);
}
