/**
 * Inbound filter chains per PeerAuthentication mode, as istiod builds them for a sidecar's
 * `virtualInbound` listener:
 * - STRICT: one chain matching `transportProtocol: tls`, terminating Istio mTLS (workload
 *   certificate `default`, client certificate required and validated against `ROOTCA`, SAN prefix
 *   `spiffe://<trust-domain>/`); plaintext matches no chain of the port and is closed;
 * - PERMISSIVE: that TLS chain plus a `transportProtocol: raw_buffer` chain, so TLS and plaintext
 *   share the port (the proxy detects TLS from the first bytes, as tls_inspector does);
 * - DISABLE: one plaintext chain without a transport protocol match.
 * The mode is the workload's effective one for the port (workload > namespace > mesh, port-level
 * overrides keyed by the workload port).
 */
import type { DownstreamTlsContext, Filter, FilterChain } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import type { MtlsMode } from '../cluster/peer-authentication-mode.js';
import { SDS_DEFAULT_RESOURCE, SDS_ROOT_RESOURCE, sdsSecretConfig } from '../cluster/sds.js';

/** istiod's inbound DownstreamTlsContext for Istio mTLS. */
export function inboundMtlsContext(trustDomain: string, http: boolean): DownstreamTlsContext {
  return {
    commonTlsContext: {
      tlsParams: { tlsMinimumProtocolVersion: 'TLSv1_2', tlsMaximumProtocolVersion: 'TLSv1_3' },
      tlsCertificateSdsSecretConfigs: [sdsSecretConfig(SDS_DEFAULT_RESOURCE)],
      combinedValidationContext: {
        defaultValidationContext: { matchSubjectAltNames: [{ prefix: `spiffe://${trustDomain}/` }] },
        validationContextSdsSecretConfig: sdsSecretConfig(SDS_ROOT_RESOURCE),
      },
      alpnProtocols: http ? ['h2', 'http/1.1'] : ['istio-peer-exchange', 'istio'],
    },
    requireClientCertificate: { value: true },
  };
}

/**
 * The filter chains of one inbound port under `mode`, all running `filter` (one network filter, or
 * several in order, e.g. the TCP RBAC filters then `tcp_proxy`). Chains are named `<bind>_<port>`
 * as istiod names them (`bind` is a Sidecar ingress listener's, else the wildcard).
 */
export function inboundChainsForMode(port: number, mode: MtlsMode, filter: Filter | readonly Filter[], trustDomain: string, http: boolean, bind = '0.0.0.0'): FilterChain[] {
  const name = `${bind}_${port}`;
  const filters: Filter[] = Array.isArray(filter) ? [...(filter as readonly Filter[])] : [filter as Filter];
  const plain: FilterChain = { name, filterChainMatch: { destinationPort: { value: port } }, filters };
  if (mode === 'DISABLE') return [plain];
  const tlsChain: FilterChain = {
    name: `${name}_mtls`,
    filterChainMatch: { destinationPort: { value: port }, transportProtocol: 'tls' },
    filters,
    transportSocket: { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': TypeUrl.DownstreamTlsContext, ...inboundMtlsContext(trustDomain, http) } },
  };
  if (mode === 'STRICT') return [tlsChain];
  return [tlsChain, { ...plain, filterChainMatch: { destinationPort: { value: port }, transportProtocol: 'raw_buffer' } }];
}
