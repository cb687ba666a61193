/**
 * The authorization HTTP filters of one workload, in istiod's order:
 * 1. CUSTOM: an RBAC filter whose *shadow* rules (action DENY, stat prefix `istio_ext_authz_`) hold
 *    the CUSTOM policies' rules, so a match only marks the request in dynamic metadata, then the
 *    `ext_authz` filter that checks exactly the marked requests with the provider. An unknown or
 *    unusable provider makes the workload deny every request (fail closed). One provider per
 *    workload: CUSTOM policies naming another provider are ignored (istiod rejects them too).
 * 2. DENY: one RBAC filter, action DENY, one policy per rule.
 * 3. AUDIT: one RBAC filter, action LOG (never changes the decision).
 * 4. ALLOW: one RBAC filter, action ALLOW, present only when an ALLOW policy selects the workload;
 *    a policy without `rules` (`spec: {}`) contributes no policy, so alone it allows nothing.
 * A rule that cannot be converted is skipped, as istiod skips it. Policy names are istiod's
 * (`ns[<ns>]-policy[<name>]-rule[<i>]`), so denials report `rbac_access_denied_matched_policy[…]`.
 */
import type { Resource } from '../../config/resource.js';
import type { AuthorizationPolicySpec } from '../../config/schema/authorization-policy.js';
import { EXT_AUTHZ_FILTER } from '../../envoy/ext-authz/types.js';
import { RBAC_FILTER, type Rbac, type RbacAction, type RbacFilterConfig, type RbacPolicy } from '../../envoy/rbac/types.js';
import type { HttpFilter } from '../../envoy/types.js';
import type { MeshSnapshot } from '../../model/snapshot.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { EXT_AUTHZ_SHADOW_PREFIX, extAuthzConfig, ProviderError } from './ext-authz-provider.js';
import { authorizationPoliciesFor, type PolicyTarget } from './policy-scope.js';
import { rbacPolicyName, RuleError, rulePolicy } from './rule-policy.js';

/** Type URL of the ext_authz filter config. */
export const EXT_AUTHZ_TYPE_URL = TypeUrl.ExtAuthz;

/** Something translation skipped or could not honour, for diagnostics (`weft explain`, tests). */
export interface SecurityNote {
  readonly policy: string;
  readonly message: string;
}

/** The built filters and what was skipped. */
export interface AuthzFilters {
  readonly filters: HttpFilter[];
  /** How many of `filters` (the first ones) come from CUSTOM policies (RBAC shadow + ext_authz). */
  readonly customCount: number;
  readonly notes: SecurityNote[];
}

/**
 * The RBAC policies of `list`, one per convertible rule, by istiod's names in name order; skipped
 * rules are noted. `tcpAction` converts for a TCP filter chain (rule-policy.ts).
 */
export function policiesOf(list: readonly Resource<AuthorizationPolicySpec>[], snapshot: MeshSnapshot, notes: SecurityNote[], custom = false, tcpAction?: 'ALLOW' | 'DENY' | 'LOG'): Record<string, RbacPolicy> {
  const out: Record<string, RbacPolicy> = {};
  for (const r of list) {
    const ctx = { policyNamespace: r.metadata.namespace, trustDomain: snapshot.meshConfig.trustDomain, ...(tcpAction ? { tcpAction } : {}) };
    (r.spec.rules ?? []).forEach((rule, i) => {
      const name = rbacPolicyName(r.metadata.namespace, r.metadata.name, i, custom);
      try {
        out[name] = rulePolicy(rule, ctx);
      } catch (err) {
        if (!(err instanceof RuleError)) throw err;
        notes.push({ policy: `${r.metadata.namespace}/${r.metadata.name}`, message: `rule ${i} skipped: ${err.message}` });
      }
    });
  }
  return sorted(out);
}

function sorted(policies: Record<string, RbacPolicy>): Record<string, RbacPolicy> {
  const out: Record<string, RbacPolicy> = {};
  for (const k of Object.keys(policies).sort()) out[k] = policies[k]!;
  return out;
}

function rbacFilter(config: RbacFilterConfig): HttpFilter {
  return { name: RBAC_FILTER, typedConfig: { '@type': TypeUrl.Rbac, ...config } };
}

function rules(action: RbacAction, policies: Record<string, RbacPolicy>): Rbac {
  return { ...(action === 'ALLOW' ? {} : { action }), policies };
}

const DENY_ALL_POLICY: RbacPolicy = Object.freeze({ permissions: [{ any: true }], principals: [{ any: true }] });

function customFilters(snapshot: MeshSnapshot, list: readonly Resource<AuthorizationPolicySpec>[], notes: SecurityNote[]): HttpFilter[] {
  if (list.length === 0) return [];
  const provider = list[0]!.spec.provider?.name ?? '';
  const same = list.filter((r) => (r.spec.provider?.name ?? '') === provider);
  for (const r of list) {
    if (!same.includes(r)) notes.push({ policy: `${r.metadata.namespace}/${r.metadata.name}`, message: `ignored: only one CUSTOM provider per workload (using ${provider})` });
  }
  const ns = list[0]!.metadata.namespace;
  try {
    const ext = extAuthzConfig(snapshot.meshConfig.extensionProviders, provider, (h) => snapshot.resolveHost(h, ns));
    const shadow = policiesOf(same, snapshot, notes, true);
    return [
      rbacFilter({ shadowRules: rules('DENY', shadow), shadowRulesStatPrefix: EXT_AUTHZ_SHADOW_PREFIX }),
      { name: EXT_AUTHZ_FILTER, typedConfig: { '@type': EXT_AUTHZ_TYPE_URL, ...ext } },
    ];
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    for (const r of same) notes.push({ policy: `${r.metadata.namespace}/${r.metadata.name}`, message: `${err.message}: denying all requests` });
    const name = `${rbacPolicyName(ns, same[0]!.metadata.name, 0, true)}-deny-all`;
    return [rbacFilter({ rules: rules('DENY', { [name]: DENY_ALL_POLICY }) })];
  }
}

/** Builds the authorization filters for a workload. */
export function buildAuthzFilters(snapshot: MeshSnapshot, target: PolicyTarget): AuthzFilters {
  const byAction = authorizationPoliciesFor(snapshot, target);
  const notes: SecurityNote[] = [];
  const filters: HttpFilter[] = [...customFilters(snapshot, byAction.CUSTOM, notes)];
  const customCount = filters.length;
  if (byAction.DENY.length > 0) {
    const p = policiesOf(byAction.DENY, snapshot, notes);
    if (Object.keys(p).length > 0) filters.push(rbacFilter({ rules: rules('DENY', p) }));
  }
  if (byAction.AUDIT.length > 0) {
    const p = policiesOf(byAction.AUDIT, snapshot, notes);
    if (Object.keys(p).length > 0) filters.push(rbacFilter({ rules: rules('LOG', p) }));
  }
  if (byAction.ALLOW.length > 0) filters.push(rbacFilter({ rules: rules('ALLOW', policiesOf(byAction.ALLOW, snapshot, notes)) }));
  return { filters, customCount, notes };
}
