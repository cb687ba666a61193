/**
 * Which transport socket an upstream endpoint gets, as Envoy decides it: the first of the cluster's
 * `transportSocketMatches` whose `match` fields all equal the endpoint's
 * `filterMetadata['envoy.transport_socket_match']` (an empty match takes every endpoint), else the
 * cluster's `transportSocket`, else plaintext. Then, when the chosen socket is TLS, its
 * UpstreamTlsContext with a stable key (equal keys can share a connection pool).
 */
import type { Cluster, LbEndpoint, TransportSocket, UpstreamTlsContext } from '../../envoy/types.js';
import { fromStruct, type StructMessage } from '../../xds/node-info.js';
import { TypeUrl } from '../../envoy/type-url.js';

const MATCH_KEY = 'envoy.transport_socket_match';
const TLS_SOCKET = 'envoy.transport_sockets.tls';

/** An upstream TLS setting with its pool key. */
export interface UpstreamTlsChoice {
  readonly context: UpstreamTlsContext;
  /** Canonical JSON of the context plus the match name: equal keys mean equal TLS behaviour. */
  readonly key: string;
  /** The transport socket match that chose it (`tlsMode-istio`), or `transportSocket`. */
  readonly matchName: string;
}

const keyCache = new WeakMap<TransportSocket, string>();

/**
 * The transport socket for one endpoint of a cluster (undefined: plaintext). A match whose socket
 * `usable` rejects is skipped (a proxy without a workload identity skips auto-mTLS matches that
 * need the `default` certificate, so it falls through to `tlsMode-disabled`).
 */
export function transportSocketFor(cluster: Cluster, ep: LbEndpoint | undefined, usable: (s: TransportSocket | undefined) => boolean = () => true): { socket: TransportSocket | undefined; matchName: string } {
  const matches = cluster.transportSocketMatches;
  if (matches && matches.length > 0) {
    const md = fromStruct(ep?.metadata?.filterMetadata?.[MATCH_KEY] as StructMessage | undefined);
    for (const m of matches) {
      const want = fromStruct(m.match as StructMessage | undefined);
      if (!usable(m.transportSocket)) continue;
      if (Object.entries(want).every(([k, v]) => JSON.stringify(md[k]) === JSON.stringify(v))) return { socket: m.transportSocket, matchName: m.name ?? '' };
    }
  }
  return { socket: cluster.transportSocket, matchName: 'transportSocket' };
}

/** True when a transport socket needs the workload certificate (SDS `default`). */
export function needsWorkloadCertificate(socket: TransportSocket | undefined): boolean {
  const cfg = socket?.typedConfig as UpstreamTlsContext | undefined;
  return cfg?.commonTlsContext?.tlsCertificateSdsSecretConfigs?.some((c) => c.name === 'default') === true;
}

/**
 * The TLS choice for an endpoint, or undefined for plaintext (raw_buffer or no socket). Without a
 * workload identity, transport socket matches needing it are skipped (auto mTLS → plaintext).
 */
export function upstreamTlsFor(cluster: Cluster, ep: LbEndpoint | undefined, hasIdentity = true): UpstreamTlsChoice | undefined {
  const { socket, matchName } = transportSocketFor(cluster, ep, hasIdentity ? undefined : (s) => !needsWorkloadCertificate(s));
  if (!socket) return undefined;
  const cfg = socket.typedConfig as ({ '@type'?: string } & UpstreamTlsContext) | undefined;
  const isTls = socket.name === TLS_SOCKET || cfg?.['@type'] === TypeUrl.UpstreamTlsContext;
  if (!isTls || !cfg) return undefined;
  let key = keyCache.get(socket);
  if (key === undefined) {
    key = `${matchName}|${stableJson(cfg)}`;
    keyCache.set(socket, key);
  }
  return { context: cfg, key, matchName };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
