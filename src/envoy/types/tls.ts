/**
 * Envoy v3 TLS transport socket messages (`envoy.extensions.transport_sockets.tls.v3`): the
 * UpstreamTlsContext istiod puts on clusters (ISTIO_MUTUAL, SIMPLE, MUTUAL) and the
 * DownstreamTlsContext of inbound/gateway filter chains, in Weft's object form (rules in `core.ts`).
 */
import type { BoolValue, ConfigSource, DataSource, Duration, StringMatcher } from './core.js';

/** `TlsParameters.TlsProtocol`; missing is TLS_AUTO. */
export type TlsProtocol = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';

/** `TlsParameters`. */
export interface TlsParameters {
  readonly tlsMinimumProtocolVersion?: TlsProtocol;
  readonly tlsMaximumProtocolVersion?: TlsProtocol;
  readonly cipherSuites?: readonly string[];
  readonly ecdhCurves?: readonly string[];
}

/** `TlsCertificate`: a certificate chain and its key (files or inline). */
export interface TlsCertificate {
  readonly certificateChain?: DataSource;
  readonly privateKey?: DataSource;
  readonly password?: DataSource;
}

/** `SdsSecretConfig`: a secret by name, fetched from `sdsConfig` (Weft: over ADS). */
export interface SdsSecretConfig {
  readonly name?: string;
  readonly sdsConfig?: ConfigSource;
}

/** `SubjectAltNameMatcher`. */
export interface SubjectAltNameMatcher {
  readonly sanType?: 'SAN_TYPE_UNSPECIFIED' | 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS' | 'OTHER_NAME';
  readonly matcher?: StringMatcher;
  readonly oid?: string;
}

/** `CertificateValidationContext`; with no CA source Envoy does not verify the peer. */
export interface CertificateValidationContext {
  readonly trustedCa?: DataSource;
  /** Use the platform's root certificates when no `trustedCa` is given. */
  readonly systemRootCerts?: Readonly<Record<string, never>>;
  readonly matchTypedSubjectAltNames?: readonly SubjectAltNameMatcher[];
  /** Deprecated (any SAN type); istiod still writes exact matchers here. */
  readonly matchSubjectAltNames?: readonly StringMatcher[];
  readonly verifyCertificateSpki?: readonly string[];
  readonly verifyCertificateHash?: readonly string[];
  readonly crl?: DataSource;
  readonly allowExpiredCertificate?: boolean;
  readonly trustChainVerification?: 'VERIFY_TRUST_CHAIN' | 'ACCEPT_UNTRUSTED';
}

/** `CommonTlsContext` (the validation-context oneof: plain, SDS, or combined). */
export interface CommonTlsContext {
  readonly tlsParams?: TlsParameters;
  readonly tlsCertificates?: readonly TlsCertificate[];
  readonly tlsCertificateSdsSecretConfigs?: readonly SdsSecretConfig[];
  readonly validationContext?: CertificateValidationContext;
  readonly validationContextSdsSecretConfig?: SdsSecretConfig;
  readonly combinedValidationContext?: {
    readonly defaultValidationContext?: CertificateValidationContext;
    readonly validationContextSdsSecretConfig?: SdsSecretConfig;
  };
  readonly alpnProtocols?: readonly string[];
}

/** `UpstreamTlsContext`: TLS a cluster originates. */
export interface UpstreamTlsContext {
  readonly commonTlsContext?: CommonTlsContext;
  readonly sni?: string;
  readonly allowRenegotiation?: boolean;
  readonly maxSessionKeys?: { readonly value?: number };
}

/** `DownstreamTlsContext`: TLS a listener filter chain terminates. */
export interface DownstreamTlsContext {
  readonly commonTlsContext?: CommonTlsContext;
  readonly requireClientCertificate?: BoolValue;
  readonly requireSni?: BoolValue;
  readonly sessionTimeout?: Duration;
  readonly disableStatelessSessionResumption?: boolean;
}
