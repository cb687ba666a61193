/**
 * The VirtualService rules tried before the one that matched, and why each did not match:
 *
 * - rules that became routes of the selected virtual host: the first failing condition of each
 *   route before the selected one (`match-reason.ts`), as the proxy tries them in order;
 * - rules that never became routes for this proxy, because a match block's `port`, `gateways`,
 *   `sourceLabels` or `sourceNamespace` excludes it (istiod drops those at translation time), or
 *   because the rule delegates (not supported): the reason comes from the VirtualService itself.
 */
import type { HTTPMatchRequest, VirtualServiceSpec } from '../config/schema/virtual-service.js';
import type { VirtualHost } from '../envoy/types.js';
import { formatLabels, selectorMatches } from '../config/labels.js';
import type { ProxyNode } from '../model/proxy-node.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import { routeOrigin, type RouteOrigin } from '../translate/route/route-metadata.js';
import { normalizeGatewayName } from '../translate/virtual-services.js';
import { matchFailure, type MatchRequest } from './match-reason.js';
import type { RuleMiss } from './types.js';

/** Where the selected route sits, and what the proxy is. */
export interface RuleMissContext {
  readonly snapshot: MeshSnapshot;
  readonly node: ProxyNode;
  /** Port of the route configuration (the listener's, or the gateway server's). */
  readonly port: number;
  /** `mesh` for sidecars; the `ns/name` of every Gateway selecting a gateway proxy. */
  readonly gatewayNames: ReadonlySet<string>;
  readonly virtualHost: VirtualHost;
  /** Index of the selected route; the number of routes when none matched. */
  readonly selectedIndex: number;
  readonly request: MatchRequest;
  /**
   * VirtualServices (`ns/name`) that own the host for this proxy, in order, so that one whose every
   * rule was left out still shows why.
   */
  readonly owners?: readonly string[];
}

/** Rules that did not match, in the order the VirtualServices list them. */
export function ruleMisses(ctx: RuleMissContext): RuleMiss[] {
  const routes = ctx.virtualHost.routes ?? [];
  const misses: RuleMiss[] = [];
  const present = new Set<string>();
  const vsOrder: string[] = [];
  for (const r of routes) {
    const o = routeOrigin(r.metadata);
    if (!o) continue;
    present.add(key(o.virtualService, o.rule, o.match));
    if (!vsOrder.includes(o.virtualService)) vsOrder.push(o.virtualService);
  }
  for (const vs of ctx.owners ?? []) if (!vsOrder.includes(vs)) vsOrder.push(vs);
  for (let i = 0; i < Math.min(ctx.selectedIndex, routes.length); i++) {
    const route = routes[i]!;
    const reason = matchFailure(route.match, ctx.request);
    if (reason === undefined) continue;
    const o = routeOrigin(route.metadata);
    misses.push(o ? { virtualService: o.virtualService, rule: o.rule, match: o.match, reason } : { reason: `route ${route.name || `#${i}`}: ${reason}` });
  }
  const selected = ctx.selectedIndex < routes.length ? routeOrigin(routes[ctx.selectedIndex]!.metadata) : undefined;
  for (const vsName of vsOrder) {
    const after = routes.slice(ctx.selectedIndex + 1).some((r) => routeOrigin(r.metadata)?.virtualService === vsName);
    if (selected && vsName !== selected.virtualService && after) continue;
    misses.push(...droppedRules(ctx, vsName, present, selected?.virtualService === vsName ? selected : undefined));
  }
  return order(misses, vsOrder);
}

function key(vs: string, rule: number, match: number): string {
  return `${vs}|${rule}|${match}`;
}

/** Rules (match blocks) of one VirtualService with no route here, before `until` when given. */
function droppedRules(ctx: RuleMissContext, vsName: string, present: ReadonlySet<string>, until: RouteOrigin | undefined): RuleMiss[] {
  const [ns, name] = vsName.split('/') as [string, string];
  const vs = ctx.snapshot.get<VirtualServiceSpec>('VirtualService', ns, name);
  const out: RuleMiss[] = [];
  const rules = vs?.spec.http ?? [];
  for (let i = 0; i < rules.length; i++) {
    if (until && i > until.rule) break;
    const rule = rules[i]!;
    const blocks: (HTTPMatchRequest | undefined)[] = rule.match && rule.match.length > 0 ? rule.match : [undefined];
    for (let j = 0; j < blocks.length; j++) {
      const m = blocks[j];
      const matchIndex = m === undefined ? -1 : j;
      if (until && i === until.rule && matchIndex >= until.match) break;
      if (present.has(key(vsName, i, matchIndex))) continue;
      const reason = rule.delegate ? 'delegates to another VirtualService (not supported; rule skipped)' : notForThisProxy(m, ns, ctx);
      if (reason) out.push({ virtualService: vsName, rule: i, match: matchIndex, reason });
    }
  }
  return out;
}

/** Why a match block was left out of this proxy's routes (istiod's sourceMatchHTTP and port check). */
function notForThisProxy(m: HTTPMatchRequest | undefined, vsNamespace: string, ctx: RuleMissContext): string | undefined {
  if (!m) return undefined;
  if (m.port !== undefined && m.port !== 0 && m.port !== ctx.port) return `port ${m.port}: this route configuration is for port ${ctx.port}`;
  if (m.gateways && m.gateways.length > 0) {
    const names = m.gateways.map((g) => normalizeGatewayName(g, vsNamespace));
    if (!names.some((g) => ctx.gatewayNames.has(g))) return `gateways [${names.join(', ')}]: not bound to this proxy (${[...ctx.gatewayNames].join(', ')})`;
    return undefined;
  }
  if (!selectorMatches(m.sourceLabels, ctx.node.labels)) {
    return `sourceLabels ${formatLabels(m.sourceLabels)}: ${ctx.node.podName} has ${formatLabels(ctx.node.labels)}`;
  }
  if (m.sourceNamespace && m.sourceNamespace !== ctx.node.namespace) return `sourceNamespace ${m.sourceNamespace}: source is in ${ctx.node.namespace}`;
  return undefined;
}

function order(misses: RuleMiss[], vsOrder: readonly string[]): RuleMiss[] {
  const rank = (m: RuleMiss) => (m.virtualService ? vsOrder.indexOf(m.virtualService) : -1);
  return misses
    .map((m, i) => ({ m, i }))
    .sort((a, b) => rank(a.m) - rank(b.m) || (a.m.rule ?? 0) - (b.m.rule ?? 0) || (a.m.match ?? 0) - (b.m.match ?? 0) || a.i - b.i)
    .map((x) => x.m);
}
