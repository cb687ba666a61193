/**
 * Envoy's network RBAC filter stats (docs: configuration/network_filters/rbac_filter): per filter
 * stat prefix, `<stat_prefix>rbac.allowed`, `<stat_prefix>rbac.denied` and, for shadow rules,
 * `<stat_prefix>rbac.<shadow_rules_stat_prefix>shadow_allowed|shadow_denied`. istiod's prefix is
 * `tcp.`, so a denied connection counts `tcp.rbac.denied` in `/stats` and
 * `envoy_tcp_rbac_denied` in `/stats/prometheus` (Envoy's Prometheus form of an untagged stat:
 * `envoy_` and the name with every other character than [a-zA-Z0-9_] turned into `_`). Filters
 * sharing a prefix share counters, as they share Envoy's stat names.
 */
import type { NetworkRbacObserver, NetworkRbacStage } from '../../envoy/rbac/network-rbac.js';
import type { ProxyStats } from '../stats/proxy-stats.js';
import type { Scalar } from '../stats/stats-store.js';

const byStats = new WeakMap<ProxyStats, Map<string, Scalar>>();

/** The counter named `name` (Envoy's `/stats` form), created on first use. */
function counter(stats: ProxyStats, name: string): Scalar {
  let m = byStats.get(stats);
  if (!m) byStats.set(stats, (m = new Map()));
  let c = m.get(name);
  if (!c) {
    const prom = `envoy_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    c = stats.store.family<Scalar>({ name: prom, type: 'counter', help: 'Network RBAC decisions (Envoy network RBAC filter).', labelNames: [], envoyName: () => name }).with({});
    m.set(name, c);
  }
  return c;
}

const observers = new WeakMap<ProxyStats, NetworkRbacObserver>();

/** An observer counting each stage's decisions in `stats` (one per stats store). */
export function tcpRbacStatsObserver(stats: ProxyStats): NetworkRbacObserver {
  let o = observers.get(stats);
  if (!o) observers.set(stats, (o = newObserver(stats)));
  return o;
}

function newObserver(stats: ProxyStats): NetworkRbacObserver {
  return {
    shadow(s: NetworkRbacStage, allowed: boolean): void {
      counter(stats, `${s.statPrefix}rbac.${s.shadowPrefix}${allowed ? 'shadow_allowed' : 'shadow_denied'}`).inc();
    },
    enforced(s: NetworkRbacStage, allowed: boolean): void {
      counter(stats, `${s.statPrefix}rbac.${allowed ? 'allowed' : 'denied'}`).inc();
    },
  };
}
