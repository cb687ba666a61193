/**
 * Envoy's RBAC engine: named policies compiled once, evaluated per request. A policy matches when
 * any of its permissions AND any of its principals match; policies are OR'ed and tried in name
 * order (Envoy keeps them in an ordered map), the first match being the "effective policy".
 * - ALLOW: allowed iff some policy matches (no policies at all: everything denied);
 * - DENY: denied iff some policy matches;
 * - LOG: always allowed; a match only asks for the request to be logged.
 * The HTTP filter config pairs enforced `rules` with `shadowRules` that are evaluated and reported
 * but never change the outcome.
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from '../errors.js';
import { compilePermission, compilePrincipal, type RbacPredicate, type RbacRequest } from './rbac-matchers.js';
import type { Rbac, RbacAction, RbacFilterConfig } from './types.js';

/** The outcome of one engine on one request. */
export interface RbacDecision {
  readonly allowed: boolean;
  /** Name of the first matching policy, if any. */
  readonly matchedPolicy: string | undefined;
  /** For LOG engines: whether the request should be logged. */
  readonly log: boolean;
}

interface CompiledPolicy {
  readonly name: string;
  readonly permission: RbacPredicate;
  readonly principal: RbacPredicate;
}

/** A compiled RBAC rule set. */
export class RbacEngine {
  private constructor(readonly action: RbacAction, private readonly policies: readonly CompiledPolicy[]) {}

  /** Compiles an RBAC message; throws EnvoyConfigError for invalid policies. */
  static compile(rbac: Rbac, where = 'rules'): RbacEngine {
    const names = Object.keys(rbac.policies ?? {}).sort();
    const policies = names.map((name) => {
      const p = rbac.policies![name]!;
      const w = `${where}.policies[${name}]`;
      if (!p.permissions?.length) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${w}.permissions`, 'a policy needs at least one permission');
      if (!p.principals?.length) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${w}.principals`, 'a policy needs at least one principal');
      const perms = p.permissions.map((x, i) => compilePermission(x, `${w}.permissions[${i}]`));
      const princs = p.principals.map((x, i) => compilePrincipal(x, `${w}.principals[${i}]`));
      return { name, permission: anyOf(perms), principal: anyOf(princs) };
    });
    return new RbacEngine(rbac.action ?? 'ALLOW', policies);
  }

  /** Names of the policies, in evaluation order. */
  get policyNames(): readonly string[] {
    return this.policies.map((p) => p.name);
  }

  /** The first matching policy's name, if any. */
  match(r: RbacRequest): string | undefined {
    for (const p of this.policies) if (p.permission(r) && p.principal(r)) return p.name;
    return undefined;
  }

  /** Evaluates the engine's action on a request. */
  evaluate(r: RbacRequest): RbacDecision {
    const matched = this.match(r);
    switch (this.action) {
      case 'DENY':
        return { allowed: matched === undefined, matchedPolicy: matched, log: false };
      case 'LOG':
        return { allowed: true, matchedPolicy: matched, log: matched !== undefined };
      case 'ALLOW':
      default:
        return { allowed: matched !== undefined, matchedPolicy: matched, log: false };
    }
  }
}

function anyOf(preds: readonly RbacPredicate[]): RbacPredicate {
  if (preds.length === 1) return preds[0]!;
  return (r) => {
    for (const p of preds) if (p(r)) return true;
    return false;
  };
}

/** A compiled HTTP RBAC filter config: the enforced engine and the shadow engine, each optional. */
export interface CompiledRbacFilter {
  readonly engine: RbacEngine | undefined;
  readonly shadow: RbacEngine | undefined;
  readonly shadowPrefix: string;
  readonly rulesPrefix: string;
}

/** Compiles the HTTP RBAC filter's config. */
export function compileRbacFilter(config: RbacFilterConfig, where = 'rbac'): CompiledRbacFilter {
  return {
    engine: config.rules ? RbacEngine.compile(config.rules, `${where}.rules`) : undefined,
    shadow: config.shadowRules ? RbacEngine.compile(config.shadowRules, `${where}.shadowRules`) : undefined,
    shadowPrefix: config.shadowRulesStatPrefix ?? '',
    rulesPrefix: config.rulesStatPrefix ?? '',
  };
}
