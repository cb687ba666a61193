/**
 * The inbound half of an explanation: the request replayed on the destination workload's sidecar
 * (`virtualInbound`, at the endpoint's address and port), over mTLS with the source's identity when
 * the outbound side uses ISTIO_MUTUAL, else plaintext. Reports the filter chain, the
 * PeerAuthentication mode and the policy that set it, and the authorization decision with the
 * AuthorizationPolicy that made it (`src/simulate/authz.ts`), or "no policy".
 */
import type { ProxyNode } from '../model/proxy-node.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Workload } from '../registry/types.js';
import { simulate } from '../simulate/simulate.js';
import type { SimAuthz } from '../simulate/authz.js';
import { proxyId } from '../model/proxy-node.js';
import { authorizationPoliciesFor, type PolicyTarget } from '../translate/security/policy-scope.js';
import { translate, type XdsResources } from '../translate/translate.js';
import { effectivePeerAuthentication } from './peer-authentication.js';
import type { ExplainedAuthorization, ExplainedInbound, ExplainedRequest, ExplainedSource } from './types.js';

/** What the inbound replay needs to know about the request as it leaves the source proxy. */
export interface InboundRequest {
  readonly request: ExplainedRequest;
  /** Path and authority after rewrites. */
  readonly path: string;
  readonly authority: string;
  readonly source: ExplainedSource;
  /** The source proxy sends ISTIO_MUTUAL (with this SNI) rather than plaintext. */
  readonly mtls: boolean;
  readonly sni?: string;
}

/** The sidecar proxy node of a workload. */
export function sidecarNode(snapshot: MeshSnapshot, w: Workload, address: string): ProxyNode {
  return {
    id: proxyId('sidecar', address, w.name, w.namespace, snapshot.meshConfig.domainSuffix),
    role: 'sidecar',
    ip: address,
    podName: w.name,
    namespace: w.namespace,
    labels: w.labels,
    serviceAccount: w.serviceAccount,
  };
}

/** Replays the request on the destination workload's sidecar. */
export function explainInbound(
  snapshot: MeshSnapshot,
  workload: Workload,
  address: string,
  port: number,
  req: InboundRequest,
  translated?: XdsResources,
): ExplainedInbound {
  const node = sidecarNode(snapshot, workload, address);
  const resources = translated ?? translate(snapshot, node);
  const peerAuthentication = effectivePeerAuthentication(snapshot, workload.namespace, workload.labels, port);
  const base = { pod: workload.name, namespace: workload.namespace, address, port, peerAuthentication };
  const sim = simulate(resources, {
    inbound: true,
    port,
    destinationIp: address,
    authority: req.authority,
    method: req.request.method,
    path: req.path,
    headers: req.request.headers,
    scheme: req.request.scheme,
    sourceIp: req.source.address,
    ...(req.mtls ? { sni: req.sni ?? '', peerPrincipal: req.source.identity } : {}),
  });
  const where = {
    ...(sim.listener ? { listener: sim.listener } : {}),
    ...(sim.filterChain ? { filterChain: sim.filterChain } : {}),
    ...(sim.routeConfig ? { routeConfig: sim.routeConfig } : {}),
    ...(req.mtls ? { peerIdentity: req.source.identity } : {}),
  };
  if (!req.mtls && peerAuthentication.mode === 'STRICT') {
    return { ...base, ...where, problem: 'PeerAuthentication STRICT requires mTLS but the source sends plaintext: the connection is refused' };
  }
  if (!sim.ok) return { ...base, ...where, problem: `${sim.error}: ${sim.message}` };
  const cluster = sim.action.kind === 'route' || sim.action.kind === 'tcp' ? sim.action.clusters[0]?.name : undefined;
  const out: ExplainedInbound = { ...base, ...where, ...(cluster ? { cluster } : {}) };
  if (sim.action.kind === 'tcp' && cluster === 'InboundPassthroughCluster') {
    return { ...out, problem: `no inbound chain for port ${port}: the connection is passed through to the app without HTTP policy` };
  }
  return { ...out, authorization: describeAuthorization(snapshot, workload, sim.authz) };
}

/** The decision in words, with the deciding policy (`ns[default]-policy[name]-rule[0]` parsed), for the workload `w`. */
export function describeAuthorization(snapshot: MeshSnapshot, w: PolicyTarget, authz: SimAuthz | undefined): ExplainedAuthorization {
  const byAction = authorizationPoliciesFor(snapshot, { namespace: w.namespace, labels: w.labels });
  const anyPolicy = byAction.ALLOW.length + byAction.DENY.length + byAction.CUSTOM.length + byAction.AUDIT.length > 0;
  if (!authz) return { decision: 'ALLOW', detail: 'no policy' };
  const parsed = parsePolicyId(authz.policy);
  const who = parsed ? { policy: parsed.policy, ...(parsed.rule !== undefined ? { rule: parsed.rule } : {}) } : {};
  const named = parsed ? `${parsed.policy}${parsed.rule !== undefined ? ` rule ${parsed.rule}` : ''}` : '';
  switch (authz.decision) {
    case 'allow':
      if (parsed) return { decision: 'ALLOW', ...who, detail: `allowed by ALLOW policy ${named}` };
      if (!anyPolicy) return { decision: 'ALLOW', detail: 'no policy' };
      return { decision: 'ALLOW', detail: byAction.DENY.length > 0 ? 'no DENY policy matched and no ALLOW policy selects the workload' : 'no DENY or ALLOW policy selects the workload' };
    case 'deny':
      if (authz.stage === 'path') return { decision: 'DENY', detail: `path rejected before authorization (400): ${authz.pathRejected ?? 'invalid path'}` };
      if (authz.stage === 'deny' && parsed) return { decision: 'DENY', ...who, detail: `denied by DENY policy ${named} (403 RBAC: access denied)` };
      return {
        decision: 'DENY',
        detail: `no ALLOW policy matched (ALLOW policies selecting the workload: ${byAction.ALLOW.map(id).join(', ') || 'none'}) (403 RBAC: access denied)`,
      };
    case 'ext-authz':
      return { decision: 'CUSTOM', ...who, detail: `sent to the ext_authz provider by CUSTOM policy ${named || authz.policy || ''}; the provider decides` };
  }
}

function id(r: { metadata: { namespace: string; name: string } }): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}

/** Parses an RBAC policy id (`ns[default]-policy[deny-get]-rule[0]`, with an optional prefix). */
export function parsePolicyId(policyId: string | undefined): { policy: string; rule?: number } | undefined {
  if (!policyId || policyId === 'none') return undefined;
  const m = /ns\[([^\]]*)\]-policy\[([^\]]*)\](?:-rule\[(\d+)\])?/.exec(policyId);
  if (!m) return { policy: policyId };
  return { policy: `${m[1]}/${m[2]}`, ...(m[3] !== undefined ? { rule: Number(m[3]) } : {}) };
}
