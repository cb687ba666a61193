/**
 * VirtualService rule reachability, as Istio's VirtualService validation warns: rules are tried in
 * order and the first match wins, so a rule after a catch-all rule (no `match`) is never used, and
 * a match block already covered by an earlier one is never used (IST0130 unreachable rule, IST0131
 * ineffective match). Covers http, tcp and tls rules.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { VirtualServiceView } from '../views.js';

type MatchBlock = Readonly<Record<string, unknown>>;

/** A canonical JSON rendering (sorted keys) to compare match blocks by value. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * True when every request matched by `later` is also matched by `earlier`: identical blocks, or
 * blocks equal except that `earlier`'s uri prefix is a prefix of `later`'s uri exact/prefix
 * (ignoring the match's `name`, which does not take part in matching).
 */
export function matchCovers(earlier: MatchBlock, later: MatchBlock): boolean {
  const strip = (m: MatchBlock) => {
    const { name: _n, uri, ...rest } = m as Record<string, unknown>;
    return { uri: uri as Record<string, unknown> | undefined, rest };
  };
  const a = strip(earlier);
  const b = strip(later);
  if (canonical(a.rest) !== canonical(b.rest)) {
    // An earlier block with no conditions at all matches everything.
    return Object.keys(a.rest).length === 0 && a.uri === undefined;
  }
  if (a.uri === undefined) return true;
  if (b.uri === undefined) return false;
  if (canonical(a.uri) === canonical(b.uri)) return true;
  const { prefix, ...aOther } = a.uri as { prefix?: unknown };
  if (typeof prefix !== 'string' || Object.keys(aOther).length > 0) return false;
  const bu = b.uri as { exact?: unknown; prefix?: unknown; ignoreUriCase?: unknown };
  const target = typeof bu.exact === 'string' ? bu.exact : typeof bu.prefix === 'string' ? bu.prefix : undefined;
  return target !== undefined && target.startsWith(prefix);
}

function ruleName(route: { name?: string }, i: number): string {
  return route.name ? JSON.stringify(route.name) : `#${i}`;
}

function checkRules(
  r: Resource<VirtualServiceView>,
  section: 'http' | 'tcp' | 'tls',
  rules: readonly { name?: string; match?: readonly MatchBlock[] }[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen: { match: MatchBlock; rule: number }[] = [];
  let catchAll = -1;
  rules.forEach((rule, i) => {
    const name = section === 'http' ? ruleName(rule, i) : `#${i}`;
    if (catchAll >= 0) {
      out.push(message(Messages.VirtualServiceUnreachableRule, r, ['spec', section, i], name, 'only the last rule can have no matches'));
      return;
    }
    const matches = rule.match ?? [];
    if (matches.length === 0) {
      catchAll = i;
      return;
    }
    let covered = 0;
    matches.forEach((m, j) => {
      const prior = seen.find((s) => matchCovers(s.match, m));
      if (prior) {
        covered++;
        const matchName = section === 'http' && typeof m.name === 'string' && m.name ? JSON.stringify(m.name) : `#${j}`;
        const priorName = section === 'http' ? ruleName(rules[prior.rule]!, prior.rule) : `#${prior.rule}`;
        out.push(message(Messages.VirtualServiceIneffectiveMatch, r, ['spec', section, i, 'match', j], name, matchName, priorName));
      } else {
        seen.push({ match: m, rule: i });
      }
    });
    if (covered === matches.length) {
      out.push(message(Messages.VirtualServiceUnreachableRule, r, ['spec', section, i], name, 'all matches used by prior rules'));
    }
  });
  return out;
}

/** The analyzer. */
export const ruleReachabilityAnalyzer: Analyzer = {
  name: 'virtualservice.RuleReachabilityAnalyzer',
  description: 'Checks for VirtualService rules and matches that can never be used',
  inputs: ['VirtualService'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<VirtualServiceView>('VirtualService')) {
      out.push(...checkRules(r, 'http', (r.spec.http ?? []) as { name?: string; match?: MatchBlock[] }[]));
      out.push(...checkRules(r, 'tcp', r.spec.tcp ?? []));
      out.push(...checkRules(r, 'tls', r.spec.tls ?? []));
    }
    return out;
  },
};
