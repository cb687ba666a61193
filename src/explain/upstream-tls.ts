/**
 * The TLS a source proxy uses to one endpoint, read from the translated cluster the way Envoy picks
 * it: the first `transportSocketMatches` entry whose fields the endpoint's
 * `envoy.transport_socket_match` metadata carries (auto mTLS: `tlsMode-istio` for endpoints with a
 * sidecar, `tlsMode-disabled` for the rest), else the cluster's `transportSocket`, else plaintext.
 * An UpstreamTlsContext with the workload certificate `default` from SDS is ISTIO_MUTUAL; one with
 * another client certificate is MUTUAL; one without is SIMPLE. The source names the
 * DestinationRule (`tls.mode`) or auto mTLS, or says why the connection is plaintext.
 */
import type { Cluster, LbEndpoint, Struct, TransportSocket, UpstreamTlsContext } from '../envoy/types.js';
import { SDS_DEFAULT_RESOURCE } from '../translate/cluster/sds.js';
import { TRANSPORT_SOCKET_MATCH_KEY } from '../translate/cluster/apply-upstream-tls.js';
import type { ExplainedTls } from './types.js';

/** What the DestinationRule says about TLS for the cluster, when a rule applies. */
export interface RuleTls {
  /** `namespace/name`. */
  readonly rule: string;
  /** `tls.mode` of the effective (port/subset merged) policy; undefined when the rule sets none. */
  readonly mode?: string;
}

/** The TLS from the source proxy to `endpoint` of `cluster`. */
export function upstreamTls(cluster: Cluster, endpoint: LbEndpoint | undefined, ruleTls: RuleTls | undefined, autoMtls: boolean): ExplainedTls {
  const matches = cluster.transportSocketMatches ?? [];
  if (matches.length > 0) {
    const meta = endpoint?.metadata?.filterMetadata?.[TRANSPORT_SOCKET_MATCH_KEY];
    const chosen = matches.find((m) => structSubset(m.match, meta));
    const socket = chosen ? chosen.transportSocket : cluster.transportSocket;
    const described = fromSocket(socket);
    if (described.mode === 'ISTIO_MUTUAL') return { ...described, source: 'auto mTLS: the endpoint has a sidecar' };
    return { ...described, source: 'auto mTLS: plaintext, the endpoint has no sidecar accepting mTLS (or its PeerAuthentication is DISABLE)' };
  }
  const described = fromSocket(cluster.transportSocket);
  if (ruleTls?.mode) return { ...described, source: `DestinationRule ${ruleTls.rule} tls.mode ${ruleTls.mode}` };
  if (described.mode !== 'plaintext') return { ...described, source: ruleTls ? `DestinationRule ${ruleTls.rule}` : 'cluster transport socket' };
  if (cluster.type === 'ORIGINAL_DST') return { mode: 'plaintext', source: 'original-destination cluster (no auto mTLS)' };
  if (!autoMtls) return { mode: 'plaintext', source: 'auto mTLS is off in mesh config and no DestinationRule sets tls' };
  return { mode: 'plaintext', source: 'no DestinationRule tls; auto mTLS does not apply (mesh-external service, or PeerAuthentication DISABLE)' };
}

function fromSocket(socket: TransportSocket | undefined): Omit<ExplainedTls, 'source'> {
  if (!socket || socket.name !== 'envoy.transport_sockets.tls') return { mode: 'plaintext' };
  const ctx = socket.typedConfig as unknown as UpstreamTlsContext | undefined;
  const common = ctx?.commonTlsContext;
  const sans = (common?.combinedValidationContext?.defaultValidationContext ?? common?.validationContext)?.matchSubjectAltNames
    ?.map((m) => m.exact ?? m.prefix ?? m.suffix ?? m.contains ?? m.safeRegex?.regex ?? '')
    .filter((s) => s !== '');
  const sds = common?.tlsCertificateSdsSecretConfigs ?? [];
  const mode = sds.some((s) => s.name === SDS_DEFAULT_RESOURCE)
    ? 'ISTIO_MUTUAL'
    : sds.length > 0 || (common?.tlsCertificates ?? []).length > 0
      ? 'MUTUAL'
      : 'SIMPLE';
  return { mode, ...(ctx?.sni ? { sni: ctx.sni } : {}), ...(sans && sans.length > 0 ? { subjectAltNames: sans } : {}) };
}

/** True when every field of `want` is present with the same string value in `have` (an empty match matches all). */
function structSubset(want: Struct | undefined, have: Struct | undefined): boolean {
  for (const [k, v] of Object.entries(want?.fields ?? {})) {
    const got = have?.fields?.[k];
    if (got === undefined || got.stringValue !== v.stringValue) return false;
  }
  return true;
}
