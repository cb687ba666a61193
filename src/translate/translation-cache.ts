/**
 * A translation cache that outlives snapshots, as istiod's CDS/EDS/RDS caches do: built xDS objects
 * are remembered under a key of their inputs (or of their own content) and handed out again, the
 * very same object, while the key is unchanged. Unchanged parts of a new snapshot are then not
 * rebuilt, and the ADS encoder's identity cache hits, so only changed resources are re-encoded.
 *
 * Keys are content keys (SHA-1 of a canonical JSON), never snapshot identities, because every
 * snapshot rebuilds its registry objects. Entries live for two generations: `begin(snapshot)` with a
 * new snapshot retires what the previous-but-one snapshot used and did not use again. The cache is
 * an explicit object owned by its caller (the control plane); results are identical to a fresh
 * translation (tested in translation-cache.test.ts).
 */
import { createHash } from 'node:crypto';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Registry, Service } from '../registry/types.js';
import type { ConsolidatedDestinationRule } from './cluster/destination-rule-index.js';

/** Hit/miss counters (tests and diagnostics). */
export interface TranslationCacheStats {
  hits: number;
  misses: number;
}

/** Per-snapshot memo of derived keys (services and rules are per-snapshot objects). */
interface SnapshotKeys {
  readonly snapshot: MeshSnapshot;
  /** Mesh config, PeerAuthentications: inputs every cluster and load assignment depends on. */
  readonly global: string;
  readonly rules: WeakMap<ConsolidatedDestinationRule, string>;
  readonly kinds: Map<string, string>;
}

/** Cross-snapshot cache of translated objects; see the module comment. */
export class TranslationCache {
  private current = new Map<string, object>();
  private previous = new Map<string, object>();
  private keys: SnapshotKeys | undefined;
  private readonly ids = new WeakMap<object, number>();
  /**
   * Keys of services, and of whole registries, by object. A registry and its Service objects are
   * immutable and a Service belongs to one registry, so these hold across snapshots: a snapshot
   * that reuses its predecessor's registry (registry/registry-reuse.ts) reuses them too.
   */
  private readonly serviceKeys = new WeakMap<Service, string>();
  private readonly registryKeys = new WeakMap<Registry, { all?: string; shape?: string }>();
  private lastId = 0;
  readonly stats: TranslationCacheStats = { hits: 0, misses: 0 };

  /** Starts a snapshot's generation (no-op when it already is the current one). */
  begin(snapshot: MeshSnapshot): void {
    if (this.keys?.snapshot === snapshot) return;
    this.previous = this.current;
    this.current = new Map();
    this.keys = { snapshot, global: globalKey(snapshot), rules: new WeakMap(), kinds: new Map() };
  }

  /** Number of cached objects (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** The object cached under `key`, else `build()`'s result, cached. */
  memo<T extends object>(key: string, build: () => T): T {
    const hit = this.lookup(key);
    if (hit) return hit as T;
    this.stats.misses++;
    const obj = build();
    this.current.set(key, obj);
    return obj;
  }

  /**
   * An object equal in content to `obj` handed out earlier under the same `kind` and `name`, or
   * `obj` itself (then remembered): freshly built objects whose content did not change keep their
   * identity across snapshots.
   */
  intern<T extends object>(kind: string, name: string, obj: T): T {
    return this.memo(`=${kind}|${name}|${digest(obj)}`, () => obj);
  }

  /**
   * `list`, or the array remembered under `key` when it holds the very same objects in the same
   * order (then `list` is dropped): a list whose members did not change keeps its identity across
   * snapshots, so whatever is keyed on it downstream (merged lists, resource Maps) is reused.
   */
  internList<T>(key: string, list: readonly T[]): readonly T[] {
    const prev = this.lookup(`[]${key}`) as readonly T[] | undefined;
    if (prev && prev.length === list.length && prev.every((x, i) => x === list[i])) return prev;
    if (prev) this.stats.hits--;
    this.stats.misses++;
    this.current.set(`[]${key}`, list);
    return list;
  }

  /** The object last stored (or memoized) under `key` in this or the previous generation. */
  recall<T extends object>(key: string): T | undefined {
    return this.lookup(key) as T | undefined;
  }

  /** Stores `obj` under `key` in the current generation, replacing what was there. */
  store(key: string, obj: object): void {
    this.current.set(key, obj);
  }

  /**
   * A number naming `obj` for as long as it lives (never reused), for keys built from the
   * identities of already-interned parts (a RouteConfiguration from its virtual hosts).
   */
  idOf(obj: object): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = ++this.lastId;
      this.ids.set(obj, id);
    }
    return id;
  }

  /** Content key of the inputs shared by every cluster and load assignment of the current snapshot. */
  globalKey(): string {
    return this.requireKeys().global;
  }

  /** Content key of a service and its endpoints on every port (current snapshot). */
  serviceKey(service: Service): string {
    const k = this.requireKeys();
    let key = this.serviceKeys.get(service);
    if (key === undefined) {
      const endpoints = service.ports.map((p) => k.snapshot.registry.endpoints(service, p.port));
      key = digest({ service, endpoints });
      this.serviceKeys.set(service, key);
    }
    return key;
  }

  /**
   * Key of the resources of one kind in the current snapshot: the identities of the resource
   * objects, in order. The config store hands out the same object while a resource is unchanged,
   * so the key is stable across snapshots; a changed (or re-read) resource gives a new key.
   */
  kindKey(kind: string): string {
    const k = this.requireKeys();
    let key = k.kinds.get(kind);
    if (key === undefined) {
      // Digested: keys are hashed on every lookup, and a mesh has thousands of resources of a kind.
      key = digest(k.snapshot.list(kind).map((r) => this.idOf(r)).join(','));
      k.kinds.set(kind, key);
    }
    return key;
  }

  /** Content key of every service of the registry with its endpoints (current snapshot). */
  registryKey(): string {
    const keys = this.keysOf(this.requireKeys().snapshot.registry);
    keys.all ??= digest(this.requireKeys().snapshot.registry.services.map((s) => this.serviceKey(s)));
    return keys.all;
  }

  /**
   * Content key of what routes read from the registry: each service's namespace, hostname, ports
   * and exportTo (not its endpoints or addresses), so endpoint changes leave route keys unchanged.
   */
  servicesShapeKey(): string {
    const registry = this.requireKeys().snapshot.registry;
    const keys = this.keysOf(registry);
    keys.shape ??= digest(registry.services.map((s) => [s.namespace, s.hostname, s.ports, s.exportTo]));
    return keys.shape;
  }

  /** Content key of a consolidated DestinationRule ('-' for none). */
  ruleKey(rule: ConsolidatedDestinationRule | undefined): string {
    if (!rule) return '-';
    const k = this.requireKeys();
    let key = k.rules.get(rule);
    if (key === undefined) {
      key = digest(rule);
      k.rules.set(rule, key);
    }
    return key;
  }

  private keysOf(registry: Registry): { all?: string; shape?: string } {
    let keys = this.registryKeys.get(registry);
    if (!keys) this.registryKeys.set(registry, (keys = {}));
    return keys;
  }

  private lookup(key: string): object | undefined {
    let hit = this.current.get(key);
    if (!hit) {
      hit = this.previous.get(key);
      if (hit) this.current.set(key, hit);
    }
    if (hit) this.stats.hits++;
    return hit;
  }

  private requireKeys(): SnapshotKeys {
    if (!this.keys) throw new Error('TranslationCache.begin(snapshot) was not called');
    return this.keys;
  }
}

/** SHA-1 (base64) of a canonical JSON of `value` (Sets as sorted arrays). */
export function digest(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value, setsAsArrays)).digest('base64');
}

function setsAsArrays(_key: string, value: unknown): unknown {
  return value instanceof Set ? [...(value as Set<unknown>)].map(String).sort() : value;
}

/** Mesh config and PeerAuthentications (mTLS modes reach clusters and endpoint metadata). */
function globalKey(snapshot: MeshSnapshot): string {
  const pa = snapshot.list('PeerAuthentication').map((r) => [r.metadata.namespace, r.metadata.name, r.spec]);
  const namespaces = [...snapshot.registry.namespaces].sort().map((ns) => [ns, snapshot.registry.namespaceLabels(ns) ?? null]);
  return digest({ mesh: snapshot.meshConfig, pa, namespaces });
}
