/**
 * Envoy's HTTP RBAC filter: the shadow engine (if any) is evaluated and its matched policy and
 * result are written to dynamic metadata (`envoy.filters.http.rbac`,
 * `<shadowPrefix>shadow_effective_policy_id` / `<shadowPrefix>shadow_engine_result`), never
 * deciding; the enforced engine then allows or denies with 403 `RBAC: access denied` and details
 * `rbac_access_denied_matched_policy[<policy>|none]`. A LOG engine only marks the request
 * (`access_log_hint`). Counters: `rbac.allowed|denied|shadow_allowed|shadow_denied` per filter.
 */
import { compileRbacFilter, type CompiledRbacFilter } from '../../envoy/rbac/rbac-engine.js';
import { RBAC_FILTER, SHADOW_EFFECTIVE_POLICY_ID, SHADOW_ENGINE_RESULT, type RbacFilterConfig } from '../../envoy/rbac/types.js';
import { LocalReply } from '../http/local-reply.js';
import type { StreamInfo } from '../http/stream-info.js';
import { rbacRequest, setMetadata } from './security-context.js';
import type { SecurityFilter, SecurityVerdict } from './security-filter.js';

/** Decision counters of one RBAC filter instance. */
export interface RbacCounters {
  allowed: number;
  denied: number;
  shadowAllowed: number;
  shadowDenied: number;
}

/** The RBAC filter. */
export class RbacFilter implements SecurityFilter {
  readonly name = RBAC_FILTER;
  readonly counters: RbacCounters = { allowed: 0, denied: 0, shadowAllowed: 0, shadowDenied: 0 };
  private readonly compiled: CompiledRbacFilter;

  constructor(config: RbacFilterConfig, where = 'rbac') {
    this.compiled = compileRbacFilter(config, where);
  }

  decode(s: StreamInfo): SecurityVerdict {
    const { engine, shadow, shadowPrefix } = this.compiled;
    const view = rbacRequest(s);
    if (shadow) {
      const d = shadow.evaluate(view);
      if (d.allowed) this.counters.shadowAllowed++;
      else this.counters.shadowDenied++;
      if (d.matchedPolicy !== undefined) setMetadata(s, RBAC_FILTER, `${shadowPrefix}${SHADOW_EFFECTIVE_POLICY_ID}`, d.matchedPolicy);
      setMetadata(s, RBAC_FILTER, `${shadowPrefix}${SHADOW_ENGINE_RESULT}`, d.allowed ? 'allowed' : 'denied');
    }
    if (!engine) return undefined;
    const d = engine.evaluate(view);
    if (d.log) setMetadata(s, RBAC_FILTER, 'access_log_hint', true);
    if (d.allowed) {
      this.counters.allowed++;
      return undefined;
    }
    this.counters.denied++;
    return LocalReply.rbacAccessDenied(d.matchedPolicy ?? 'none');
  }
}
