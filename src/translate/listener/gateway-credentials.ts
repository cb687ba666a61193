/**
 * SDS resource names of gateway credentials, as istiod names them (`credentials.ToResourceName`):
 * a `credentialName` becomes `kubernetes://<name>` (a name that already carries the
 * `kubernetes://` scheme is kept), and the CA that verifies client certificates for MUTUAL is
 * `kubernetes://<name>-cacert`. The control plane parses the same names back
 * ({@link parseCredentialResource}) to find the Kubernetes Secret behind a requested resource.
 */

/** The scheme istiod puts in front of a Kubernetes Secret credential. */
export const KUBERNETES_SECRET_SCHEME = 'kubernetes://';
/** Suffix of the CA-only resource of a credential. */
export const CREDENTIAL_CA_SUFFIX = '-cacert';

/** The SDS resource name of a `credentialName` (key pair). */
export function credentialResourceName(credentialName: string): string {
  return credentialName.startsWith(KUBERNETES_SECRET_SCHEME) ? credentialName : `${KUBERNETES_SECRET_SCHEME}${credentialName}`;
}

/** The SDS resource name of the CA of a `credentialName` (client-certificate validation). */
export function credentialCaResourceName(credentialName: string): string {
  return credentialResourceName(`${credentialName}${CREDENTIAL_CA_SUFFIX}`);
}

/** What a requested credential resource asks for. */
export interface CredentialRef {
  /** The Secret name (for CA resources still with `-cacert`; see {@link caFallbackSecret}). */
  readonly secretName: string;
  /** True for `…-cacert` resources: only the CA bundle is wanted. */
  readonly caOnly: boolean;
}

/**
 * Parses a Secret resource name into the Kubernetes Secret it names. Names without the
 * `kubernetes://` scheme are accepted too (a DestinationRule `credentialName` on a gateway).
 */
export function parseCredentialResource(resourceName: string): CredentialRef | undefined {
  const name = resourceName.startsWith(KUBERNETES_SECRET_SCHEME) ? resourceName.slice(KUBERNETES_SECRET_SCHEME.length) : resourceName;
  if (name === '' || name.includes('://') || name.includes('/')) return undefined;
  return { secretName: name, caOnly: name.endsWith(CREDENTIAL_CA_SUFFIX) };
}

/** For a CA resource `<name>-cacert`: the Secret `<name>`, tried when no `<name>-cacert` Secret exists (as istiod does). */
export function caFallbackSecret(ref: CredentialRef): string | undefined {
  return ref.caOnly ? ref.secretName.slice(0, -CREDENTIAL_CA_SUFFIX.length) || undefined : undefined;
}
