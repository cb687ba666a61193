/**
 * Envoy's per-route stats (router filter docs, "Route level stats"): for a route with a
 * `stat_prefix` (Istio: VirtualService `http[].match[].statPrefix`), the proxy keeps, under
 * `vhost.<virtual host name>.route.<stat_prefix>.`, `upstream_rq_total` and `upstream_rq_completed`,
 * per status code `upstream_rq_<code>` and class `upstream_rq_<n>xx`, and the `upstream_rq_time`
 * histogram, for requests the router sent upstream. `/stats` shows them by those names;
 * `/stats/prometheus` as `envoy_vhost_route_upstream_rq_*` with `virtual_host_name` and
 * `route_stat_prefix` labels. Children are created once per (virtual host, prefix) and code.
 */
import { DURATION_BUCKETS_MS } from './histogram.js';
import type { Histogram } from './histogram.js';
import type { Family, Scalar, StatsStore } from './stats-store.js';

/** The stats of one route stat prefix in one virtual host. */
export class RouteStats {
  private readonly byCode = new Map<number, Scalar>();
  constructor(
    private readonly families: RouteFamilies,
    private readonly labels: Readonly<Record<string, string>>,
    readonly rqTotal: Scalar,
    readonly rqCompleted: Scalar,
    readonly rqClass: readonly Scalar[],
    readonly rqTime: Histogram,
  ) {}

  /** The `upstream_rq_<code>` counter. */
  code(status: number): Scalar {
    let c = this.byCode.get(status);
    if (!c) this.byCode.set(status, (c = this.families.code.with({ ...this.labels, response_code: String(status) })));
    return c;
  }

  /** Records one request the router sent upstream: its final status, whether it completed, its upstream time. */
  record(status: number, completed: boolean, upstreamMs: number | undefined): void {
    this.rqTotal.inc();
    if (completed) this.rqCompleted.inc();
    const cls = (status / 100) | 0;
    if (cls >= 1 && cls <= 5) {
      this.rqClass[cls - 1]!.inc();
      this.code(status).inc();
    }
    if (upstreamMs !== undefined) this.rqTime.record(upstreamMs);
  }
}

interface RouteFamilies {
  readonly total: Family<Scalar>;
  readonly completed: Family<Scalar>;
  readonly cls: Family<Scalar>;
  readonly code: Family<Scalar>;
  readonly time: Family<Histogram>;
}

const LABELS = ['virtual_host_name', 'route_stat_prefix'];
const prefix = (l: Readonly<Record<string, string>>) => `vhost.${l['virtual_host_name']}.route.${l['route_stat_prefix']}`;

class RouteStatsRegistry {
  private readonly families: RouteFamilies;
  private readonly routes = new Map<string, RouteStats>();

  constructor(store: StatsStore) {
    const counter = (stat: string, help: string) => store.family<Scalar>({
      name: `envoy_vhost_route_${stat}`, type: 'counter', help, labelNames: LABELS, envoyName: (l) => `${prefix(l)}.${stat}`,
    });
    this.families = {
      total: counter('upstream_rq_total', 'Upstream requests of the route.'),
      completed: counter('upstream_rq_completed', 'Upstream requests of the route that completed.'),
      cls: store.family<Scalar>({
        name: 'envoy_vhost_route_upstream_rq_xx', type: 'counter', help: 'Upstream responses of the route by response code class.',
        labelNames: ['response_code_class', ...LABELS], envoyName: (l) => `${prefix(l)}.upstream_rq_${l['response_code_class']}xx`,
      }),
      code: store.family<Scalar>({
        name: 'envoy_vhost_route_upstream_rq', type: 'counter', help: 'Upstream responses of the route by response code.',
        labelNames: ['response_code', ...LABELS], envoyName: (l) => `${prefix(l)}.upstream_rq_${l['response_code']}`,
      }),
      time: store.family<Histogram>({
        name: 'envoy_vhost_route_upstream_rq_time', type: 'histogram', help: 'Upstream request time of the route (ms).',
        labelNames: LABELS, buckets: DURATION_BUCKETS_MS, envoyName: (l) => `${prefix(l)}.upstream_rq_time`,
      }),
    };
  }

  get(vhost: string, statPrefix: string): RouteStats {
    const key = `${vhost}\u0000${statPrefix}`;
    let r = this.routes.get(key);
    if (!r) {
      const l = { virtual_host_name: vhost, route_stat_prefix: statPrefix };
      const f = this.families;
      const cls: Scalar[] = [];
      for (let i = 1; i <= 5; i++) cls.push(f.cls.with({ ...l, response_code_class: String(i) }));
      r = new RouteStats(f, l, f.total.with(l), f.completed.with(l), cls, f.time.with(l));
      this.routes.set(key, r);
    }
    return r;
  }
}

const registries = new WeakMap<StatsStore, RouteStatsRegistry>();

/** The per-route stats of `statPrefix` in virtual host `vhost`, kept in `store`. */
export function routeStats(store: StatsStore, vhost: string, statPrefix: string): RouteStats {
  let reg = registries.get(store);
  if (!reg) registries.set(store, (reg = new RouteStatsRegistry(store)));
  return reg.get(vhost, statPrefix);
}
