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
    const map = toMap(list);
    this.namedMaps.set(list, { version, map });
    return map;
  }
}

function toMap(list: readonly Named[]): ReadonlyMap<string, object> {
  return new Map(list.map((r) => [r.name ?? r.clusterName ?? '', r as object]));
}
