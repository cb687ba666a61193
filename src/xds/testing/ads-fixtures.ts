/**
 * Test support for the ADS tests: small resource builders, a provider over a mutable map, and
 * event-driven waits (promises resolved by callbacks, each with a generous upper time limit).
 * Not used outside tests.
 */
import type { EventEmitter } from 'node:events';
import { TypeUrl } from '../../envoy/type-url.js';
import { AdsServer } from '../ads-server.js';
import { AdsClient, type AdsClientOptions } from '../ads-client.js';
import type { ProxyResources } from '../ads-types.js';
import type { NodeInfo } from '../node-info.js';

/** Upper bound for any single wait in tests; never a timing assertion. */
export const WAIT_MS = 10_000;

/** An EDS cluster named `name`. */
export function edsCluster(name: string, connectTimeoutSeconds = 1): object {
  return { name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } }, connectTimeout: { seconds: connectTimeoutSeconds } };
}

/** A ClusterLoadAssignment with one endpoint per port on 127.0.0.1. */
export function loadAssignment(clusterName: string, ...ports: number[]): object {
  return {
    clusterName,
    endpoints: [{ lbEndpoints: ports.map((portValue) => ({ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue } } } })) }],
  };
}

/** A listener whose HttpConnectionManager takes its routes from RDS `routeName`. */
export function rdsListener(name: string, port: number, routeName: string): object {
  return {
    name,
    address: { socketAddress: { address: '127.0.0.1', portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': TypeUrl.HttpConnectionManager,
              statPrefix: name,
              rds: { routeConfigName: routeName, configSource: { ads: {} } },
              httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } }],
            },
          },
        ],
      },
    ],
  };
}

/** A route configuration sending everything to `cluster`. */
export function routeConfig(name: string, cluster: string): object {
  return { name, virtualHosts: [{ name: `${name}-vh`, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] };
}

/** Mutable config: type URL → name → object; the provider serves it to every proxy. */
export class MutableConfig {
  readonly byType = new Map<string, Map<string, object>>([
    [TypeUrl.Cluster, new Map()],
    [TypeUrl.ClusterLoadAssignment, new Map()],
    [TypeUrl.Listener, new Map()],
    [TypeUrl.RouteConfiguration, new Map()],
    [TypeUrl.Secret, new Map()],
  ]);

  /** Sets (replaces) one resource. */
  set(typeUrl: string, name: string, obj: object): this {
    this.byType.get(typeUrl)!.set(name, obj);
    return this;
  }

  /** Removes one resource. */
  delete(typeUrl: string, name: string): this {
    this.byType.get(typeUrl)!.delete(name);
    return this;
  }

  /** A snapshot copy, so later mutations do not leak into what a push already computed. */
  snapshot(): ProxyResources {
    return new Map([...this.byType].map(([t, m]) => [t, new Map(m)]));
  }
}

/** The usual starting config: clusters c1, c2 (+ CLAs c1..c3), listener l1 → route r1 (+ r2). */
export function baseConfig(): MutableConfig {
  return new MutableConfig()
    .set(TypeUrl.Cluster, 'c1', edsCluster('c1'))
    .set(TypeUrl.Cluster, 'c2', edsCluster('c2'))
    .set(TypeUrl.ClusterLoadAssignment, 'c1', loadAssignment('c1', 9001))
    .set(TypeUrl.ClusterLoadAssignment, 'c2', loadAssignment('c2', 9002))
    .set(TypeUrl.ClusterLoadAssignment, 'c3', loadAssignment('c3', 9003))
    .set(TypeUrl.Listener, 'l1', rdsListener('l1', 15001, 'r1'))
    .set(TypeUrl.RouteConfiguration, 'r1', routeConfig('r1', 'c1'))
    .set(TypeUrl.RouteConfiguration, 'r2', routeConfig('r2', 'c2'));
}

/** Starts a server on 127.0.0.1 (port 0 unless given) serving `config` to every proxy. */
export async function startServer(config: MutableConfig, port = 0, select?: (node: NodeInfo) => ProxyResources | undefined): Promise<AdsServer> {
  const server = new AdsServer({ host: '127.0.0.1', port, provider: { resourcesFor: (node) => (select ? select(node) : config.snapshot()) }, stopGraceMs: 2000 });
  await server.start();
  return server;
}

/** One update as the client's onUpdate saw it. */
export interface SeenUpdate {
  typeUrl: string;
  names: string[];
  version: string;
  resources: ReadonlyMap<string, object>;
}

/** Records a client's updates and lets tests await the next matching one. */
export class UpdateLog {
  readonly updates: SeenUpdate[] = [];
  private waiters: { pred: (u: SeenUpdate) => boolean; resolve: (u: SeenUpdate) => void }[] = [];
  /** Returns a NACK message for an update, or undefined to accept; tests replace it. */
  decide: (u: SeenUpdate) => string | undefined = () => undefined;

  /** The onUpdate callback to pass to the client. */
  readonly onUpdate = (typeUrl: string, resources: ReadonlyMap<string, object>, version: string): string | undefined => {
    const u: SeenUpdate = { typeUrl, names: [...resources.keys()].sort(), version, resources };
    this.updates.push(u);
    for (const w of [...this.waiters]) {
      if (w.pred(u)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(u);
      }
    }
    return this.decide(u);
  };

  /** Resolves with the first update from index `from` on that matches. */
  next(pred: (u: SeenUpdate) => boolean, from = 0, label = 'update'): Promise<SeenUpdate> {
    const seen = this.updates.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return withTimeout(new Promise<SeenUpdate>((resolve) => this.waiters.push({ pred, resolve })), label);
  }

  /** Latest accepted-or-not update of a type. */
  last(typeUrl: string): SeenUpdate | undefined {
    return this.updates.filter((u) => u.typeUrl === typeUrl).at(-1);
  }
}

/** Starts a client to `server` with an {@link UpdateLog}. */
export function startClient(address: string, id: string, log: UpdateLog, extra: Partial<AdsClientOptions> = {}): AdsClient {
  const client = new AdsClient({ target: address, node: { id, cluster: 'test', metadata: { NAMESPACE: 'default' } }, onUpdate: log.onUpdate, backoff: { initialMs: 50, maxMs: 500 }, ...extra });
  client.start();
  return client;
}

/** Rejects with a clear message when `p` takes longer than {@link WAIT_MS}. */
export function withTimeout<T>(p: Promise<T>, label: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the first `event` whose arguments satisfy `pred`. */
export function waitEvent<A extends unknown[]>(emitter: EventEmitter, event: string, pred: (...args: A) => boolean = () => true, label = event): Promise<A> {
  return withTimeout(
    new Promise<A>((resolve) => {
      const listener = (...args: unknown[]): void => {
        if (pred(...(args as A))) {
          emitter.off(event, listener);
          resolve(args as A);
        }
      };
      emitter.on(event, listener);
    }),
    label,
  );
}

/** Resolves once `check()` is true, re-checking whenever `emitter` fires one of `events`. */
export function until(emitter: EventEmitter, events: string[], check: () => boolean, label: string, ms = WAIT_MS): Promise<void> {
  if (check()) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => {
      const listener = (): void => {
        if (!check()) return;
        for (const e of events) emitter.off(e, listener);
        resolve();
      };
      for (const e of events) emitter.on(e, listener);
    }),
    label,
    ms,
  );
}

/** True when every served type that has been sent is SYNCED for every connected proxy. */
export function allSynced(server: AdsServer, types: readonly ('CDS' | 'EDS' | 'LDS' | 'RDS')[] = ['CDS', 'EDS', 'LDS', 'RDS'], proxies = 1): boolean {
  const rows = server.status();
  return rows.length === proxies && rows.every((r) => types.every((t) => r.types[t].state === 'SYNCED'));
}
