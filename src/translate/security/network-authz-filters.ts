/**
 * The authorization network filters of one workload's TCP filter chains, as istiod's
 * `Builder.BuildTCP` (pilot/pkg/security/authz/builder/builder.go): `envoy.filters.network.rbac`
 * filters (stat prefix `tcp.`) placed before `tcp_proxy`, in the same order as the HTTP filters
 * (authz-filters.ts):
 * 1. CUSTOM: istiod checks TCP connections only with an `envoyExtAuthzGrpc` provider (network
 *    ext_authz) and ignores CUSTOM policies whose provider is `envoyExtAuthzHttp` on TCP chains.
 *    Weft supports HTTP providers only, so a CUSTOM policy never reaches a TCP connection; this is
 *    reported as a note (`weft explain`) and by `weft analyze`. A provider that is missing or
 *    unusable fails closed, as on HTTP: every connection is denied.
 * 2. DENY: one RBAC filter, action DENY. HTTP-only fields are dropped from the rule, so it denies more.
 * 3. AUDIT: one RBAC filter, action LOG.
 * 4. ALLOW: one RBAC filter, action ALLOW, present when an ALLOW policy selects the workload. A rule
 *    using any HTTP-only field is skipped (it matches no connection), and a policy without rules
 *    (`spec: {}`) contributes no policy, so such policies alone deny every TCP connection.
 * Pure and deterministic; policy names are istiod's, so denials are reported per policy.
 */
import type { Resource } from '../../config/resource.js';
import type { AuthorizationPolicySpec } from '../../config/schema/authorization-policy.js';
import { NETWORK_RBAC_FILTER, type NetworkRbacConfig, type Rbac, type RbacAction, type RbacPolicy } from '../../envoy/rbac/types.js';
import type { Filter } from '../../envoy/types.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { policiesOf, type SecurityNote } from './authz-filters.js';
import { authorizationPoliciesFor, type PolicyTarget } from './policy-scope.js';
import { rbacPolicyName } from './rule-policy.js';

/** istiod's stat prefix of the TCP RBAC filters (`authzmodel.RBACTCPFilterStatPrefix`). */
export const TCP_RBAC_STAT_PREFIX = 'tcp.';

/** The built network filters and what was skipped or not honoured on TCP. */
export interface NetworkAuthzFilters {
  readonly filters: readonly Filter[];
  readonly notes: readonly SecurityNote[];
}

const DENY_ALL_POLICY: RbacPolicy = Object.freeze({ permissions: [{ any: true }], principals: [{ any: true }] });

function networkRbacFilter(action: RbacAction, policies: Record<string, RbacPolicy>): Filter {
  const rules: Rbac = { ...(action === 'ALLOW' ? {} : { action }), policies };
  const config: NetworkRbacConfig = { rules, statPrefix: TCP_RBAC_STAT_PREFIX };
  return { name: NETWORK_RBAC_FILTER, typedConfig: { '@type': TypeUrl.NetworkRbac, ...config } };
}

function idOf(r: Resource<AuthorizationPolicySpec>): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}

function customFilters(snapshot: MeshSnapshot, list: readonly Resource<AuthorizationPolicySpec>[], notes: SecurityNote[]): Filter[] {
  if (list.length === 0) return [];
  const name = list[0]!.spec.provider?.name ?? '';
  const provider = snapshot.meshConfig.extensionProviders.find((p) => p.name === name);
  if (provider?.envoyExtAuthzHttp) {
    for (const r of list) {
      notes.push({ policy: idOf(r), message: `CUSTOM provider ${name} is an HTTP ext_authz provider: it does not apply to TCP ports (as in Istio, which checks TCP connections only with envoyExtAuthzGrpc providers)` });
    }
    return [];
  }
  for (const r of list) notes.push({ policy: idOf(r), message: `CUSTOM provider ${name} cannot check TCP connections in Weft: denying all TCP connections` });
  const deny = `${rbacPolicyName(list[0]!.metadata.namespace, list[0]!.metadata.name, 0, true)}-deny-all`;
  return [networkRbacFilter('DENY', { [deny]: DENY_ALL_POLICY })];
}

/** Builds the authorization network filters for a workload's TCP filter chains. */
export function buildNetworkAuthzFilters(snapshot: MeshSnapshot, target: PolicyTarget): NetworkAuthzFilters {
  const byAction = authorizationPoliciesFor(snapshot, target);
  const notes: SecurityNote[] = [];
  const tcpNotes: SecurityNote[] = [];
  const filters: Filter[] = [...customFilters(snapshot, byAction.CUSTOM, notes)];
  if (byAction.DENY.length > 0) {
    const p = policiesOf(byAction.DENY, snapshot, tcpNotes, false, 'DENY');
    if (Object.keys(p).length > 0) filters.push(networkRbacFilter('DENY', p));
  }
  if (byAction.AUDIT.length > 0) {
    const p = policiesOf(byAction.AUDIT, snapshot, tcpNotes, false, 'LOG');
    if (Object.keys(p).length > 0) filters.push(networkRbacFilter('LOG', p));
  }
  if (byAction.ALLOW.length > 0) filters.push(networkRbacFilter('ALLOW', policiesOf(byAction.ALLOW, snapshot, tcpNotes, false, 'ALLOW')));
  for (const n of tcpNotes) notes.push({ policy: n.policy, message: `on TCP ports, ${n.message}` });
  return { filters, notes };
}

const cache = new WeakMap<MeshSnapshot, Map<string, NetworkAuthzFilters>>();

/** {@link buildNetworkAuthzFilters}, cached per snapshot and workload (namespace and labels). */
export function networkAuthzFilters(snapshot: MeshSnapshot, target: PolicyTarget): NetworkAuthzFilters {
  let perSnap = cache.get(snapshot);
  if (!perSnap) cache.set(snapshot, (perSnap = new Map()));
  const key = `${target.namespace}\u0000${Object.keys(target.labels).sort().map((k) => `${k}=${target.labels[k]}`).join(',')}`;
  let out = perSnap.get(key);
  if (!out) perSnap.set(key, (out = buildNetworkAuthzFilters(snapshot, target)));
  return out;
}
