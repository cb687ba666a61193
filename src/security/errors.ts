/**
 * The one error type of `src/security`: CA loading and signing, bootstrap tokens, the CSR service
 * and workload-certificate handling. Every failure carries a stable code; the CSR service maps
 * codes to gRPC statuses, the CLI prints `code: message`.
 */
import { WeftError } from '../util/weft-error.js';

/** Stable codes of security failures. */
export const SecurityErrorCode = {
  /** A CA file is missing, unreadable or not a certificate/key. */
  CaLoad: 'CA_LOAD_FAILED',
  /** The plug-in CA's key does not match its certificate, or the certificate is no CA. */
  CaInvalid: 'CA_INVALID',
  /** A CSR that does not parse or whose signature does not verify. */
  CsrInvalid: 'CSR_INVALID',
  /** A CSR asks for an identity the requester may not have (SAN ≠ authenticated identity). */
  CsrIdentityMismatch: 'CSR_IDENTITY_MISMATCH',
  /** A CSR with an unsupported key (not ECDSA P-256/P-384 or RSA ≥ 2048). */
  CsrUnsupportedKey: 'CSR_UNSUPPORTED_KEY',
  /** The requester presented no credential at all. */
  Unauthenticated: 'CSR_UNAUTHENTICATED',
  /** A bootstrap token that is malformed, expired, for another audience, or already used. */
  TokenInvalid: 'TOKEN_INVALID',
  /** A string that is not a SPIFFE ID of the form `spiffe://<td>/ns/<ns>/sa/<sa>`. */
  InvalidSpiffeId: 'SPIFFE_ID_INVALID',
  /** The CA could not be reached or answered with an error. */
  CsrRequestFailed: 'CSR_REQUEST_FAILED',
  /** A certificate chain from the CA that is empty, unparsable or does not match our key. */
  BadChain: 'CERT_CHAIN_INVALID',
  /** A gateway credential (Secret or files) whose certificate, key or CA is malformed, expired or mismatched. */
  GatewayCredentialInvalid: 'GATEWAY_CREDENTIAL_INVALID',
} as const;

/** One of {@link SecurityErrorCode}'s values. */
export type SecurityErrorCode = (typeof SecurityErrorCode)[keyof typeof SecurityErrorCode];

/** A security failure with a stable code; the message starts with the code. */
export class SecurityError extends WeftError {
  readonly code: SecurityErrorCode;
  constructor(code: SecurityErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SecurityError';
    this.code = code;
  }
}
