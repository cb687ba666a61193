/**
 * Who may open an xDS stream, and as which node — istiod's rules (pilot/pkg/xds/authentication.go:
 * `authenticate` then `checkConnectionIdentity`):
 *
 * - Authentication: the stream's TLS client certificate, verified against the mesh root by the
 *   transport (grpc-js shows a peer certificate only when it verified), carrying a SPIFFE URI SAN
 *   `spiffe://<mesh trust domain>/ns/<ns>/sa/<sa>`. No certificate, one that did not verify, one
 *   without a SPIFFE identity or from another trust domain: UNAUTHENTICATED.
 * - Authorization of the claimed node (PERMISSION_DENIED with the reason otherwise): the namespace
 *   in the node id (`<type>~<ip>~<pod>.<ns>~…`) and the `NAMESPACE` metadata, when present, equal
 *   the identity's namespace; `SERVICE_ACCOUNT`, when present, equals its service account (istiod
 *   compares ConfigNamespace and Metadata.ServiceAccount the same way); and when the registry knows
 *   the pod the id names, that pod's service account equals the identity's too.
 * - The node served is the claimed one with the authoritative facts filled in: `NAMESPACE` and
 *   `SERVICE_ACCOUNT` from the identity, `LABELS` from the registry when it knows the pod (istiod
 *   likewise takes a known pod's labels from Kubernetes, not from the proxy), and `principal`.
 *
 * Pure functions of their inputs; the control plane wires them into the ADS server's access policy.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { AdsCall, AdsRefusal } from '../xds/ads-server.js';
import type { JsonValue, NodeInfo } from '../xds/node-info.js';
import type { Workload } from '../registry/types.js';
import { certificateSpiffeId, formatSpiffeId, parseSpiffeId, type SpiffeId } from '../security/identity/spiffe.js';

/** Stable codes in refusal reasons (the text after the code is for humans). */
export const XdsAuthCode = {
  /** No verified client certificate with a mesh SPIFFE identity. */
  Unauthenticated: 'XDS_UNAUTHENTICATED',
  /** The node claims a namespace, service account or pod the identity does not have. */
  IdentityMismatch: 'XDS_IDENTITY_MISMATCH',
} as const;

/** The principal a stream's verified client certificate proves, or an UNAUTHENTICATED refusal. */
export function authenticateXdsPeer(call: Pick<AdsCall, 'getAuthContext'>, trustDomain: string): { principal: string } | AdsRefusal {
  const peer = call.getAuthContext()?.sslPeerCertificate;
  if (!peer?.raw) {
    return refuse(GrpcStatus.UNAUTHENTICATED, XdsAuthCode.Unauthenticated, 'xDS requires a workload certificate issued by the mesh CA (none was presented, or it did not verify against the mesh root)');
  }
  let uri: string | undefined;
  try {
    uri = certificateSpiffeId(peer.raw);
  } catch {
    uri = undefined;
  }
  const id = uri ? parseSpiffeId(uri) : undefined;
  if (!uri || !id) return refuse(GrpcStatus.UNAUTHENTICATED, XdsAuthCode.Unauthenticated, 'the client certificate carries no SPIFFE identity');
  if (id.trustDomain !== trustDomain) {
    return refuse(GrpcStatus.UNAUTHENTICATED, XdsAuthCode.Unauthenticated, `the client certificate's trust domain ${id.trustDomain} is not the mesh's (${trustDomain})`);
  }
  return { principal: uri };
}

/** Finds the registry's pod by name and namespace (undefined: not known, e.g. outside `weft up`). */
export type PodLookup = (name: string, namespace: string) => Workload | undefined;

/** The node to serve to a stream authenticated as `principal`, or a PERMISSION_DENIED refusal. */
export function authorizeXdsNode(node: NodeInfo, principal: string, findPod: PodLookup): { node: NodeInfo } | AdsRefusal {
  const id = parseSpiffeId(principal);
  if (!id) return refuse(GrpcStatus.UNAUTHENTICATED, XdsAuthCode.Unauthenticated, `not a SPIFFE identity: ${principal}`);
  const md = node.metadata;
  const deny = (what: string) => refuse(GrpcStatus.PERMISSION_DENIED, XdsAuthCode.IdentityMismatch, `node ${node.id}: ${what}; the stream is authenticated as ${principal}`);
  if (node.namespace !== undefined && node.namespace !== id.namespace) return deny(`node id names namespace ${node.namespace}`);
  if (md.NAMESPACE !== undefined && md.NAMESPACE !== id.namespace) return deny(`NAMESPACE metadata is ${JSON.stringify(md.NAMESPACE)}`);
  if (md.SERVICE_ACCOUNT !== undefined && md.SERVICE_ACCOUNT !== id.serviceAccount) return deny(`SERVICE_ACCOUNT metadata is ${JSON.stringify(md.SERVICE_ACCOUNT)}`);
  const pod = node.podName !== undefined ? findPod(node.podName, id.namespace) : undefined;
  if (pod && pod.serviceAccount !== id.serviceAccount) return deny(`pod ${pod.name}.${pod.namespace} runs as service account ${pod.serviceAccount}`);
  const metadata: Record<string, JsonValue> = { ...md, NAMESPACE: id.namespace, SERVICE_ACCOUNT: id.serviceAccount };
  if (pod) metadata.LABELS = { ...pod.labels };
  return { node: { ...node, metadata, principal: formatSpiffeId(id) } };
}

/** The identity of an authenticated node, when it has one. */
export function nodeIdentity(node: NodeInfo): SpiffeId | undefined {
  return node.principal ? parseSpiffeId(node.principal) : undefined;
}

/** Formats a refusal as one log line. */
export function formatRefusal(r: AdsRefusal, peer: string): string {
  return `xDS stream from ${peer} refused (${GrpcStatus[r.code]}): ${r.reason}`;
}

function refuse(code: GrpcStatus, stable: string, message: string): AdsRefusal {
  return { code, reason: `${stable}: ${message}` };
}
