/**
 * Resource Maps (name → resource object) for the ADS server, built once per resource list and
 * shared by every proxy that gets that list (the translation hands proxies of one scope the same
 * arrays, see translate/shared-translation.ts). The ADS server caches by Map identity: a wildcard
 * type's (LDS, CDS) whole encoding per Map, and a named type's (RDS, EDS) list of changed names
 * per pair of Maps. Sharing Maps makes both cost once per scope instead of once per proxy.
 *
 * - Wildcard types: one Map per list, reused across snapshots while the list is the same array.
 * - Named types: one Map per list and snapshot version. A new version gets a new Map even when the
 *   list is unchanged, so every proxy moves from the previous version's Map to the new one and the
 *   server answers from the one shared diff of the two (empty when nothing changed) instead of
 *   re-checking every subscribed name on every proxy.
 */
import { markImmutable } from '../xds/ads-cache.js';

type Named = { readonly name?: string; readonly clusterName?: string };

/** Shared resource Maps keyed on the identity of resource lists. */
export class ResourceMaps {
  private readonly wildcardMaps = new WeakMap<readonly object[], ReadonlyMap<string, object>>();
  private readonly namedMaps = new WeakMap<readonly object[], { version: string; map: ReadonlyMap<string, object> }>();

  /** The Map of a wildcard type's list (same list, same Map). */
  wildcard(list: readonly Named[]): ReadonlyMap<string, object> {
    let map = this.wildcardMaps.get(list);
    if (!map) {
      map = toMap(list);
      this.wildcardMaps.set(list, map);
    }
    return map;
  }

  /** The Map of a named type's list in snapshot `version` (same list and version, same Map). */
  named(list: readonly Named[], version: string): ReadonlyMap<string, object> {
    const hit = this.namedMaps.get(list);
    if (hit && hit.version === version) return hit.map;
    // Same list as in the last version: a copy, marked as of the same source, so the server's
    // diff of the two is empty without comparing them.
    const map = hit ? markImmutable(new MapView(hit.map instanceof MapView ? hit.map.base : hit.map), list) : toMap(list, list);
    this.namedMaps.set(list, { version, map });
    return map;
  }
}

function toMap(list: readonly Named[], source?: object): ReadonlyMap<string, object> {
  // Translated objects and these Maps are never mutated (snapshots are immutable).
  return markImmutable(new Map(list.map((r) => [r.name ?? r.clusterName ?? '', r as object])), source);
}

/** A new Map identity with the entries of another (immutable) Map, without copying them. */
class MapView implements ReadonlyMap<string, object> {
  constructor(readonly base: ReadonlyMap<string, object>) {}

  get size(): number {
    return this.base.size;
  }

  get(key: string): object | undefined {
    return this.base.get(key);
  }

  has(key: string): boolean {
    return this.base.has(key);
  }

  forEach(fn: (value: object, key: string, map: ReadonlyMap<string, object>) => void, thisArg?: unknown): void {
    this.base.forEach((v, k) => fn.call(thisArg, v, k, this));
  }

  entries(): MapIterator<[string, object]> {
    return this.base.entries();
  }

  keys(): MapIterator<string> {
    return this.base.keys();
  }

  values(): MapIterator<object> {
    return this.base.values();
  }

  [Symbol.iterator](): MapIterator<[string, object]> {
    return this.base.entries();
  }
}
