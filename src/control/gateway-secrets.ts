/**
 * SDS for gateway credentials: the Secret resources a gateway proxy's listeners reference
 * (`kubernetes://<credentialName>` and `kubernetes://<credentialName>-cacert`, see
 * src/translate/listener/gateway-credentials.ts), built from Kubernetes `Secret` manifests.
 *
 * - Served only to gateway proxies (`router`), and only the names their own listeners reference.
 * - Only to proxies whose authenticated service account may read Secrets of their namespace
 *   ({@link mayReadCredentials}): istiod checks, before serving any credential, that the proxy's
 *   verified identity is authorized for Secrets (pilot/pkg/xds/sds.go, a SubjectAccessReview
 *   against the gateway's Role); Weft has no RBAC, so the readers are the service accounts of the
 *   workloads a Gateway selects plus those configured (Istio's default ingress gateway's).
 * - Where the Secret is looked up: the gateway workload's own namespace only (Istio's rule: a
 *   credentialName Secret lives with the gateway deployment, `istio-system` for the default
 *   ingress under `weft up`; sds.go serves other namespaces only with an explicit grant).
 * - Keys, as istiod reads them: `tls.crt`/`tls.key` (or `cert`/`key`) for the key pair;
 *   `ca.crt` (or `cacert`) for the CA, taken from a `<name>-cacert` Secret when one exists, else
 *   from the `<name>` Secret itself.
 * - The key pair is sent inline (certificateChain + privateKey): unlike workload keys, gateway
 *   keys are configuration the operator supplied.
 * - A malformed certificate, key or CA is not served: the issue is reported (code
 *   GATEWAY_CREDENTIAL_INVALID, naming the Secret) and the other credentials are unaffected.
 */
import type { Resource } from '../config/resource.js';
import type { SecretContent } from '../config/schema/kubernetes.js';
import type { GatewaySpec } from '../config/schema/gateway.js';
import { selectorMatches } from '../config/labels.js';
import type { ProxyNode } from '../model/proxy-node.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import { SecurityErrorCode } from '../security/errors.js';
import { caBundleProblem, keyPairProblem } from '../security/gateway-credential.js';
import { caFallbackSecret, parseCredentialResource } from '../translate/listener/gateway-credentials.js';
import { sdsNames } from '../xds/ads-dependencies.js';

/** A gateway credential as sent over SDS (an Envoy `Secret`). */
export interface GatewaySecretResource {
  readonly name: string;
  readonly tlsCertificate?: { readonly certificateChain: { readonly inlineString: string }; readonly privateKey: { readonly inlineString: string } };
  readonly validationContext?: { readonly trustedCa: { readonly inlineString: string } };
}

/** A credential that could not be served. */
export interface CredentialIssue {
  /** Stable code: GATEWAY_CREDENTIAL_INVALID (malformed) or GATEWAY_CREDENTIAL_NOT_FOUND. */
  readonly code: string;
  /** The SDS resource name requested. */
  readonly resource: string;
  /** `Secret <namespace>/<name>` (or the names searched when none was found). */
  readonly secret: string;
  readonly message: string;
}

/** Code of a referenced credential whose Secret does not exist. */
export const CREDENTIAL_NOT_FOUND = 'GATEWAY_CREDENTIAL_NOT_FOUND';

/** Secret names the mesh CA serves itself. */
const CA_SECRETS = new Set(['default', 'ROOTCA']);

/**
 * The credential Secrets for gateway proxy `node`, keyed by SDS name, for the listeners it was
 * sent; `onIssue` hears about every referenced credential that could not be built.
 */
export function gatewaySecretsFor(snapshot: MeshSnapshot, node: ProxyNode, listeners: readonly object[], onIssue?: (issue: CredentialIssue) => void): Map<string, GatewaySecretResource> {
  const out = new Map<string, GatewaySecretResource>();
  if (node.role !== 'router') return out;
  const names = sdsNames(listeners).filter((n) => !CA_SECRETS.has(n));
  if (names.length === 0) return out;
  const namespaces = lookupNamespaces(snapshot, node);
  const find = (name: string) => {
    for (const ns of namespaces) {
      const r = snapshot.get<SecretContent>('Secret', ns, name);
      if (r) return r;
    }
    return undefined;
  };
  for (const resource of names) {
    const ref = parseCredentialResource(resource);
    if (!ref) continue;
    const built = ref.caOnly ? caSecret(resource, ref.secretName, caFallbackSecret(ref), find) : keyPairSecret(resource, ref.secretName, find);
    if ('issue' in built) onIssue?.({ ...built.issue, resource, secret: built.issue.secret || `Secret ${namespaces.join('|')}/${ref.secretName}` });
    else out.set(resource, built.secret);
  }
  return out;
}

type Built = { secret: GatewaySecretResource } | { issue: Omit<CredentialIssue, 'resource'> };
type Finder = (name: string) => Resource<SecretContent> | undefined;

function keyPairSecret(resource: string, secretName: string, find: Finder): Built {
  const r = find(secretName);
  if (!r) return { issue: { code: CREDENTIAL_NOT_FOUND, secret: '', message: `credential Secret ${secretName} not found` } };
  const id = `Secret ${r.metadata.namespace}/${r.metadata.name}`;
  const cert = value(r, 'tls.crt') ?? value(r, 'cert');
  const key = value(r, 'tls.key') ?? value(r, 'key');
  if (cert === undefined || key === undefined) return invalid(id, 'missing tls.crt/tls.key (or cert/key)');
  const problem = keyPairProblem(cert, key);
  if (problem) return invalid(id, problem);
  return { secret: { name: resource, tlsCertificate: { certificateChain: { inlineString: cert }, privateKey: { inlineString: key } } } };
}

function caSecret(resource: string, secretName: string, fallback: string | undefined, find: Finder): Built {
  let r = find(secretName);
  let ca = r ? caOf(r) : undefined;
  if (ca === undefined && fallback !== undefined) {
    const f = find(fallback);
    if (f) {
      r = f;
      ca = caOf(f);
    }
  }
  if (!r) return { issue: { code: CREDENTIAL_NOT_FOUND, secret: '', message: `CA Secret ${secretName}${fallback ? ` (or ${fallback})` : ''} not found` } };
  const id = `Secret ${r.metadata.namespace}/${r.metadata.name}`;
  if (ca === undefined) return invalid(id, 'missing ca.crt (or cacert) for client certificate validation');
  const problem = caBundleProblem(ca);
  if (problem) return invalid(id, problem);
  return { secret: { name: resource, validationContext: { trustedCa: { inlineString: ca } } } };
}

function invalid(secret: string, message: string): Built {
  return { issue: { code: SecurityErrorCode.GatewayCredentialInvalid, secret, message } };
}

function caOf(r: Resource<SecretContent>): string | undefined {
  return value(r, 'ca.crt') ?? value(r, 'cacert');
}

function value(r: Resource<SecretContent>, key: string): string | undefined {
  const b64 = r.spec.data?.[key];
  if (b64 === undefined) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  return text === '' ? undefined : text;
}

/** Where a gateway's credential Secrets are looked up: its own namespace only (see the header). */
function lookupNamespaces(_snapshot: MeshSnapshot, node: ProxyNode): string[] {
  return [node.namespace];
}

/** Istio's default ingress gateway service account (`istio-system/istio-ingressgateway-service-account`). */
export const DEFAULT_GATEWAY_SERVICE_ACCOUNTS: readonly string[] = ['istio-system/istio-ingressgateway-service-account'];

/**
 * True when gateway proxy `node` (its namespace and service account authenticated) may be sent the
 * credential Secrets of its namespace: its `namespace/serviceAccount` is in `configured`, or the
 * registry has a workload in that namespace running as that service account whose labels a
 * Gateway's (non-empty) selector matches (a gateway deployment). Any other workload, in the same namespace or
 * not, gets no credentials.
 */
export function mayReadCredentials(snapshot: MeshSnapshot, node: ProxyNode, configured: readonly string[] = DEFAULT_GATEWAY_SERVICE_ACCOUNTS): boolean {
  if (node.role !== 'router') return false;
  if (configured.includes(`${node.namespace}/${node.serviceAccount}`)) return true;
  const gateways = snapshot.list<GatewaySpec>('Gateway');
  return snapshot.registry.workloads.some(
    (w) => w.namespace === node.namespace && w.serviceAccount === node.serviceAccount && gateways.some((gw) => Object.keys(gw.spec.selector ?? {}).length > 0 && selectorMatches(gw.spec.selector, w.labels)),
  );
}

/** Formats an issue as one log line: `CODE: <secret>: <message> (SDS <resource>)`. */
export function formatCredentialIssue(i: CredentialIssue): string {
  return `${i.code}: ${i.secret}: ${i.message} (SDS ${i.resource}); hosts using it fail TLS, the gateway keeps serving the others`;
}
