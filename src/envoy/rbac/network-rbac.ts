/**
 * Envoy's network RBAC filters (`envoy.filters.network.rbac`) of one filter chain, compiled once and
 * evaluated once per connection (Envoy evaluates a connection once and keeps the result). The
 * filters run in chain order: each one's shadow engine is evaluated and only counted; its enforced
 * engine allows (the next filter runs) or denies (the connection is closed and no later filter, such
 * as `tcp_proxy`, sees it). A LOG engine never denies. The view of a connection carries no HTTP
 * attributes (headers, path, method are absent, so matchers on them never match, as in Envoy).
 * Stats, per filter, are `<statPrefix>rbac.allowed|denied` and
 * `<statPrefix>rbac.<shadowPrefix>shadow_allowed|shadow_denied` (Envoy's
 * `Filters::Common::RBAC::generateStats`).
 */
import type { Filter } from '../types.js';
import { TypeUrl } from '../type-url.js';
import { compileRbacFilter, type CompiledRbacFilter } from './rbac-engine.js';
import type { RbacRequest } from './rbac-matchers.js';
import { NETWORK_RBAC_FILTER, type NetworkRbacConfig } from './types.js';

/** The connection attributes network RBAC reads. */
export interface NetworkRbacConnection {
  readonly destinationIp: string | undefined;
  readonly destinationPort: number | undefined;
  readonly directRemoteIp: string | undefined;
  readonly peerPrincipal: string | undefined;
  readonly requestedServerName: string | undefined;
}

/** One compiled network RBAC filter. */
export interface NetworkRbacStage extends CompiledRbacFilter {
  /** `stat_prefix` (istiod: `tcp.`). */
  readonly statPrefix: string;
}

/** What the filters of a chain decided for one connection. */
export interface NetworkRbacDecision {
  readonly allowed: boolean;
  /** The policy that denied (or, for an ALLOW engine, allowed); `none` for an ALLOW miss. */
  readonly policy: string | undefined;
  /** The deciding engine's action (`DENY` or `ALLOW`), when one decided. */
  readonly action: 'DENY' | 'ALLOW' | undefined;
  /** True when a LOG (AUDIT) engine matched. */
  readonly log: boolean;
}

/** Observes each stage's results (stats). */
export interface NetworkRbacObserver {
  shadow?(stage: NetworkRbacStage, allowed: boolean): void;
  enforced?(stage: NetworkRbacStage, allowed: boolean): void;
}

/** True for a network RBAC filter. */
export function isNetworkRbacFilter(f: Filter): boolean {
  return f.name === NETWORK_RBAC_FILTER || f.typedConfig?.['@type'] === TypeUrl.NetworkRbac;
}

/** Compiles the network RBAC filters of `filters` (in order); undefined when there are none. */
export function compileNetworkRbac(filters: readonly Filter[], where = 'filters'): NetworkRbacStage[] | undefined {
  const out: NetworkRbacStage[] = [];
  filters.forEach((f, i) => {
    if (!isNetworkRbacFilter(f)) return;
    const config = (f.typedConfig ?? {}) as unknown as NetworkRbacConfig;
    out.push({ ...compileRbacFilter(config, `${where}[${i}]`), statPrefix: config.statPrefix ?? '' });
  });
  return out.length > 0 ? out : undefined;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_METADATA = Object.freeze({});

/** The RBAC view of a connection (no HTTP attributes). */
export function connectionView(c: NetworkRbacConnection): RbacRequest {
  return {
    authority: undefined, method: '', path: '', scheme: '', headers: NO_HEADERS,
    destinationIp: c.destinationIp, destinationPort: c.destinationPort,
    directRemoteIp: c.directRemoteIp, remoteIp: c.directRemoteIp,
    peerPrincipal: c.peerPrincipal, requestedServerName: c.requestedServerName, metadata: NO_METADATA,
  };
}

/** Evaluates the stages in order for one connection. */
export function evaluateNetworkRbac(stages: readonly NetworkRbacStage[], c: NetworkRbacConnection, observer?: NetworkRbacObserver): NetworkRbacDecision {
  const view = connectionView(c);
  let log = false;
  let decided: { policy: string | undefined; action: 'DENY' | 'ALLOW' } | undefined;
  for (const s of stages) {
    if (s.shadow) observer?.shadow?.(s, s.shadow.evaluate(view).allowed);
    if (!s.engine) continue;
    const d = s.engine.evaluate(view);
    if (d.log) log = true;
    observer?.enforced?.(s, d.allowed);
    if (!d.allowed) return { allowed: false, policy: d.matchedPolicy ?? 'none', action: s.engine.action === 'DENY' ? 'DENY' : 'ALLOW', log };
    if (s.engine.action === 'ALLOW' && decided === undefined) decided = { policy: d.matchedPolicy, action: 'ALLOW' };
  }
  return { allowed: true, policy: decided?.policy, action: decided?.action, log };
}
