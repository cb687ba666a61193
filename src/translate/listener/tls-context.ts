/**
 * The DownstreamTlsContext of a gateway server that terminates TLS, as istiod's
 * buildGatewayListenerTLSContext: with `credentialName` the key pair comes over SDS as
 * `kubernetes://<credentialName>` (and for MUTUAL the CA as `kubernetes://<credentialName>-cacert`,
 * see gateway-credentials.ts); otherwise from the files named by
 * `serverCertificate`/`privateKey`/`caCertificates`; ISTIO_MUTUAL uses the workload certificate
 * (`default`) and the mesh root (`ROOTCA`). HTTPS servers advertise h2 and http/1.1 over ALPN.
 */
import type { ServerTLSSettings } from '../../config/schema/gateway.js';
import type { CommonTlsContext, DownstreamTlsContext, TlsProtocol, TransportSocket } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { SDS_DEFAULT_RESOURCE, SDS_ROOT_RESOURCE, sdsSecretConfig } from '../cluster/sds.js';
import { credentialResourceName } from './gateway-credentials.js';
import { clientCaResourceName, clientCertificateChecks, credentialNamesOf, fileCertificates } from './server-tls-sources.js';

const VERSIONS: Readonly<Record<string, TlsProtocol>> = {
  TLS_AUTO: 'TLS_AUTO', TLSV1_0: 'TLSv1_0', TLSV1_1: 'TLSv1_1', TLSV1_2: 'TLSv1_2', TLSV1_3: 'TLSv1_3',
};

/** Builds the TLS context of a terminating server (`http` adds the HTTP ALPN list). */
export function buildDownstreamTlsContext(tls: ServerTLSSettings, http: boolean): DownstreamTlsContext {
  const mutual = tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL' || tls.mode === 'OPTIONAL_MUTUAL';
  let common: { -readonly [K in keyof CommonTlsContext]: CommonTlsContext[K] } = {};
  if (tls.mode === 'ISTIO_MUTUAL') {
    common = { tlsCertificateSdsSecretConfigs: [sdsSecretConfig(SDS_DEFAULT_RESOURCE)], validationContextSdsSecretConfig: sdsSecretConfig(SDS_ROOT_RESOURCE) };
  } else if (credentialNamesOf(tls).length > 0) {
    // istiod's names: `kubernetes://<name>` per credential (credentialNames: RSA and ECDSA side by side),
    // and a combined validation context with the client CA (server-tls-sources.ts).
    const names = credentialNamesOf(tls);
    common = { tlsCertificateSdsSecretConfigs: names.map((n) => sdsSecretConfig(credentialResourceName(n))) };
    if (mutual) {
      common.combinedValidationContext = {
        defaultValidationContext: {
          ...(tls.subjectAltNames?.length ? { matchSubjectAltNames: tls.subjectAltNames.map((exact) => ({ exact })) } : {}),
          ...clientCertificateChecks(tls),
        },
        validationContextSdsSecretConfig: sdsSecretConfig(clientCaResourceName(tls, names)),
      };
    }
  } else {
    const files = fileCertificates(tls);
    if (files.length > 0) common.tlsCertificates = files;
    if (mutual && tls.caCertificates) common.validationContext = { trustedCa: { filename: tls.caCertificates }, ...clientCertificateChecks(tls) };
  }
  if (tls.subjectAltNames?.length && common.validationContext) {
    common.validationContext = { ...common.validationContext, matchSubjectAltNames: tls.subjectAltNames.map((exact) => ({ exact })) };
  }
  const min = tls.minProtocolVersion ? VERSIONS[tls.minProtocolVersion] : undefined;
  const max = tls.maxProtocolVersion ? VERSIONS[tls.maxProtocolVersion] : undefined;
  if (min || max || tls.cipherSuites?.length) {
    common.tlsParams = {
      ...(min ? { tlsMinimumProtocolVersion: min } : {}),
      ...(max ? { tlsMaximumProtocolVersion: max } : {}),
      ...(tls.cipherSuites?.length ? { cipherSuites: tls.cipherSuites } : {}),
    };
  }
  if (http) common.alpnProtocols = ['h2', 'http/1.1'];
  return { commonTlsContext: common, ...(tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL' ? { requireClientCertificate: { value: true } } : {}) };
}

/** Wraps a DownstreamTlsContext as the `envoy.transport_sockets.tls` transport socket. */
export function tlsTransportSocket(ctx: DownstreamTlsContext): TransportSocket {
  return { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': TypeUrl.DownstreamTlsContext, ...ctx } };
}
