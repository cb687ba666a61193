/**
 * DestinationRule `tls` and auto mTLS → the cluster's transport socket, as istiod's
 * buildUpstreamTLSSettings / buildUpstreamClusterTLSContext / applyUpstreamTLSSettings:
 *
 * - DISABLE: plaintext. SIMPLE / MUTUAL: an UpstreamTlsContext with the rule's SNI (else auto SNI
 *   from the request host) and SANs (else, for ServiceEntries, the entry's identities; else auto SAN
 *   validation), certificates from `credentialName` (SDS, `<name>-cacert` for the CA) or files.
 *   A sidecar ignores `credentialName` unless the rule has a workloadSelector (istiod sends no TLS then).
 * - ISTIO_MUTUAL: the workload certificate `default` and the mesh root `ROOTCA` over SDS, SANs from the
 *   rule or the service's identities, SNI `outbound_.<port>_.<subset>_.<host>` unless set.
 * - No TLS setting + mesh `enableAutoMtls` + an in-mesh service whose PeerAuthentication is not
 *   DISABLE: ISTIO_MUTUAL as `transportSocketMatches`, `tlsMode-istio` for endpoints labelled
 *   `tlsMode: istio` and plaintext `tlsMode-disabled` for the rest (not for ORIGINAL_DST clusters).
 *
 * Weft differences, on purpose: file paths become `filename` data sources (istiod serves them through
 * its agent's SDS), the "system" CA is `systemRootCerts`, secrets come over ADS, and the ALPN list
 * omits `istio-peer-exchange` (Weft has no TCP metadata exchange).
 */
import type { ClientTLSSettings } from '../../config/schema/destination-rule.js';
import type { CommonTlsContext, CertificateValidationContext, StringMatcher, TransportSocket, TransportSocketMatch, UpstreamTlsContext } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { httpOptions, isHttp2Draft, type ClusterDraft, type Writable } from './cluster-draft.js';
import { SDS_CA_SUFFIX, SDS_DEFAULT_RESOURCE, SDS_ROOT_RESOURCE, sdsSecretConfig } from './sds.js';
import type { MtlsMode } from './peer-authentication-mode.js';
import { toStruct } from './struct-values.js';

/** Name of Envoy's TLS transport socket. */
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
/** Name of Envoy's plaintext transport socket. */
export const RAW_BUFFER_TRANSPORT_SOCKET = 'envoy.transport_sockets.raw_buffer';
/** Type URL of the (empty) raw_buffer config. */
export const RAW_BUFFER_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
/** Endpoint metadata namespace transport socket matches look at. */
export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';

/** ALPN for in-mesh mTLS (HTTP/1.1 or TCP clusters). */
export const ALPN_IN_MESH: readonly string[] = ['istio'];
/** ALPN for in-mesh mTLS on HTTP/2 clusters. */
export const ALPN_IN_MESH_H2: readonly string[] = ['istio', 'h2'];

/** What the TLS decision needs to know about the destination. */
export interface UpstreamTlsOptions {
  /** SANs of the destination (its SPIFFE identities, ServiceEntry subjectAltNames). */
  readonly serviceAccounts: readonly string[];
  /** Default ISTIO_MUTUAL SNI, `outbound_.<port>_.<subset>_.<host>`. */
  readonly istioMtlsSni: string;
  readonly autoMtlsEnabled: boolean;
  readonly meshExternal: boolean;
  /** PeerAuthentication hint for the service (BestEffortInferServiceMTLSMode); undefined = unknown. */
  readonly serviceMtlsMode: MtlsMode | undefined;
  /** The service comes from a ServiceEntry (istiod's External registry). */
  readonly fromServiceEntry: boolean;
  /** The DestinationRule that applies has a workloadSelector. */
  readonly ruleHasWorkloadSelector: boolean;
  /** The proxy is a sidecar (not a gateway). */
  readonly sidecar: boolean;
}

/** The TLS settings to use and whether they were auto-detected (auto mTLS) or user supplied. */
export interface ResolvedTls {
  readonly tls: ClientTLSSettings | undefined;
  readonly autoDetected: boolean;
}

/** istiod's buildUpstreamTLSSettings: fills in ISTIO_MUTUAL details, or decides auto mTLS. */
export function resolveUpstreamTls(tls: ClientTLSSettings | undefined, o: UpstreamTlsOptions): ResolvedTls {
  if (tls) {
    if (tls.mode !== 'ISTIO_MUTUAL') return { tls, autoDetected: false };
    return {
      tls: { mode: 'ISTIO_MUTUAL', subjectAltNames: tls.subjectAltNames ?? [...o.serviceAccounts], sni: tls.sni || o.istioMtlsSni },
      autoDetected: false,
    };
  }
  if (o.meshExternal || !o.autoMtlsEnabled || o.serviceMtlsMode === undefined || o.serviceMtlsMode === 'DISABLE') {
    return { tls: undefined, autoDetected: false };
  }
  return { tls: { mode: 'ISTIO_MUTUAL', subjectAltNames: [...o.serviceAccounts], sni: o.istioMtlsSni }, autoDetected: true };
}

/** Applies the TLS policy (possibly absent) to a draft: a transport socket, or auto-mTLS socket matches. */
export function applyUpstreamTls(draft: ClusterDraft, tls: ClientTLSSettings | undefined, o: UpstreamTlsOptions): void {
  const resolved = resolveUpstreamTls(tls, o);
  const ctx = buildUpstreamTlsContext(draft, resolved.tls, o);
  if (ctx === null) return; // invalid settings: istiod logs and leaves the cluster as it is
  const c = draft.cluster;
  if (ctx) c.transportSocket = tlsTransportSocket(ctx);
  if (resolved.autoDetected && resolved.tls?.mode === 'ISTIO_MUTUAL' && c.type !== 'ORIGINAL_DST') {
    const socket = c.transportSocket;
    delete c.transportSocket;
    c.transportSocketMatches = [
      { name: 'tlsMode-istio', match: toStruct({ tlsMode: 'istio' }), ...(socket ? { transportSocket: socket } : {}) },
      plaintextTransportSocketMatch(),
    ];
  }
}

/** The `tlsMode-disabled` match: any endpoint, plaintext. */
export function plaintextTransportSocketMatch(): TransportSocketMatch {
  return { name: 'tlsMode-disabled', match: {}, transportSocket: rawBufferTransportSocket() };
}

/** A plaintext transport socket. */
export function rawBufferTransportSocket(): TransportSocket {
  return { name: RAW_BUFFER_TRANSPORT_SOCKET, typedConfig: { '@type': RAW_BUFFER_TYPE_URL } };
}

/** Wraps an UpstreamTlsContext as a transport socket. */
export function tlsTransportSocket(ctx: UpstreamTlsContext): TransportSocket {
  return { name: TLS_TRANSPORT_SOCKET, typedConfig: { '@type': TypeUrl.UpstreamTlsContext, ...ctx } };
}

/**
 * istiod's buildUpstreamClusterTLSContext: the UpstreamTlsContext for resolved settings; undefined for
 * no TLS, null when the settings cannot be applied (MUTUAL without a client certificate).
 */
export function buildUpstreamTlsContext(draft: ClusterDraft, tls: ClientTLSSettings | undefined, o: UpstreamTlsOptions): UpstreamTlsContext | undefined | null {
  if (!tls) return undefined;
  const mode = tls.mode ?? 'DISABLE';
  if (tls.credentialName && o.sidecar && !o.ruleHasWorkloadSelector && (mode === 'SIMPLE' || mode === 'MUTUAL')) return undefined;
  switch (mode) {
    case 'DISABLE':
      return undefined;
    case 'ISTIO_MUTUAL':
      return {
        commonTlsContext: {
          tlsParams: defaultTlsParams(),
          tlsCertificateSdsSecretConfigs: [sdsSecretConfig(SDS_DEFAULT_RESOURCE)],
          combinedValidationContext: {
            defaultValidationContext: sanValidation(tls.subjectAltNames),
            validationContextSdsSecretConfig: sdsSecretConfig(SDS_ROOT_RESOURCE),
          },
          alpnProtocols: [...(isHttp2Draft(draft) ? ALPN_IN_MESH_H2 : ALPN_IN_MESH)],
        },
        sni: tls.sni || draft.cluster.name || '',
      };
    case 'SIMPLE':
    case 'MUTUAL':
      return buildOriginatedTls(draft, tls, o, mode === 'MUTUAL');
  }
}

/** SIMPLE / MUTUAL TLS origination (istiod's constructUpstreamTLS). */
function buildOriginatedTls(draft: ClusterDraft, given: ClientTLSSettings, o: UpstreamTlsOptions, mutual: boolean): UpstreamTlsContext | null {
  setAutoSniAndSanValidation(draft, given);
  const tls: ClientTLSSettings =
    o.fromServiceEntry && (given.subjectAltNames ?? []).length === 0 ? { ...given, subjectAltNames: [...o.serviceAccounts] } : given;
  const common: Writable<CommonTlsContext> = { tlsParams: defaultTlsParams() };
  if (tls.credentialName) {
    if (mutual) common.tlsCertificateSdsSecretConfigs = [sdsSecretConfig(tls.credentialName)];
    if (!tls.insecureSkipVerify) {
      common.combinedValidationContext = {
        defaultValidationContext: sanValidation(tls.subjectAltNames),
        validationContextSdsSecretConfig: sdsSecretConfig(tls.credentialName + SDS_CA_SUFFIX),
      };
    }
  } else {
    if (mutual) {
      if (!tls.clientCertificate || !tls.privateKey) return null;
      common.tlsCertificates = [{ certificateChain: { filename: tls.clientCertificate }, privateKey: { filename: tls.privateKey } }];
    }
    if (tls.insecureSkipVerify) {
      common.validationContext = {};
    } else {
      const vc: Writable<CertificateValidationContext> = { ...sanValidation(tls.subjectAltNames) };
      if (tls.caCertificates && tls.caCertificates !== 'system') vc.trustedCa = { filename: tls.caCertificates };
      else vc.systemRootCerts = {};
      if (tls.caCrl) vc.crl = { filename: tls.caCrl };
      common.validationContext = vc;
    }
  }
  if (isHttp2Draft(draft)) common.alpnProtocols = ['h2'];
  return { commonTlsContext: common, ...(tls.sni ? { sni: tls.sni } : {}) };
}

/** Auto SNI when the rule names none; auto SAN validation when it names neither SNI nor SANs (and verifies). */
function setAutoSniAndSanValidation(draft: ClusterDraft, tls: ClientTLSSettings): void {
  const autoSni = !tls.sni;
  const autoSan = autoSni && (tls.subjectAltNames ?? []).length === 0 && !tls.insecureSkipVerify;
  if (!autoSni && !autoSan) return;
  const opts = httpOptions(draft);
  opts.upstreamHttpProtocolOptions = {
    ...opts.upstreamHttpProtocolOptions,
    ...(autoSni ? { autoSni: true } : {}),
    ...(autoSan ? { autoSanValidation: true } : {}),
  };
}

function sanValidation(sans: readonly string[] | undefined): CertificateValidationContext {
  if (!sans || sans.length === 0) return {};
  return { matchSubjectAltNames: sans.map((s): StringMatcher => ({ exact: s })) };
}

function defaultTlsParams(): CommonTlsContext['tlsParams'] {
  return { tlsMinimumProtocolVersion: 'TLSv1_2', tlsMaximumProtocolVersion: 'TLSv1_3' };
}
