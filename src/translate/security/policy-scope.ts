/**
 * Which security policies apply to one workload, as istiod's AuthorizationPolicies /
 * AuthenticationPolicies indexes select them: policies in the root namespace (`istio-system`) apply
 * mesh-wide, policies in the workload's namespace apply to it; either kind applies when its
 * `selector.matchLabels` is empty or matches the workload's labels. Policies using
 * `targetRef`/`targetRefs` (Gateway API and waypoint attachment) are not applied to sidecars or
 * classic gateways, as istiod does not. Order: root namespace first, then the workload's
 * namespace, each in Istio's conflict order (oldest first).
 */
import type { Resource } from '../../config/resource.js';
import type { AuthorizationAction, AuthorizationPolicySpec } from '../../config/schema/authorization-policy.js';
import type { RequestAuthenticationSpec } from '../../config/schema/request-authentication.js';
import type { Labels } from '../../config/labels.js';
import { selectorMatches } from '../../config/labels.js';
import type { MeshSnapshot } from '../../model/snapshot.js';

/** The workload policies are selected for. */
export interface PolicyTarget {
  readonly namespace: string;
  readonly labels: Labels;
}

interface Scoped {
  readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>> };
  readonly targetRef?: unknown;
  readonly targetRefs?: readonly unknown[];
}

/** Resources of `kind` whose scope and selector cover `target`. */
export function policiesFor<S extends Scoped>(snapshot: MeshSnapshot, kind: string, target: PolicyTarget): Resource<S>[] {
  const root = snapshot.meshConfig.rootNamespace;
  const all = snapshot.list<S>(kind).filter((r) => r.spec.targetRef === undefined && r.spec.targetRefs === undefined);
  const applies = (r: Resource<S>) => selectorMatches(r.spec.selector?.matchLabels, target.labels);
  const inRoot = all.filter((r) => r.metadata.namespace === root && applies(r));
  const inNs = target.namespace === root ? [] : all.filter((r) => r.metadata.namespace === target.namespace && applies(r));
  return [...inRoot, ...inNs];
}

/** AuthorizationPolicies of a workload grouped by action (`action` absent = ALLOW). */
export type PoliciesByAction = Readonly<Record<AuthorizationAction, readonly Resource<AuthorizationPolicySpec>[]>>;

/** The AuthorizationPolicies selecting a workload, by action. */
export function authorizationPoliciesFor(snapshot: MeshSnapshot, target: PolicyTarget): PoliciesByAction {
  const out: Record<AuthorizationAction, Resource<AuthorizationPolicySpec>[]> = { ALLOW: [], DENY: [], AUDIT: [], CUSTOM: [] };
  for (const p of policiesFor<AuthorizationPolicySpec>(snapshot, 'AuthorizationPolicy', target)) out[p.spec.action ?? 'ALLOW'].push(p);
  return out;
}

/** The RequestAuthentications selecting a workload. */
export function requestAuthenticationsFor(snapshot: MeshSnapshot, target: PolicyTarget): Resource<RequestAuthenticationSpec>[] {
  return policiesFor<RequestAuthenticationSpec>(snapshot, 'RequestAuthentication', target);
}
