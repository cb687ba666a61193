/**
 * Server-wide caches that let one push cost O(changes) per proxy instead of O(resources):
 * whole-type encodings shared by proxies that get the same resource Map (LDS/CDS), and the
 * list of names that changed between two versions of a resource Map (EDS/RDS/SDS), computed
 * once per pair of Maps rather than once per proxy. Concatenated bodies are not kept per Map
 * (only the last few), so proxy-specific Maps cost references to shared frames, not copies.
 */
import type { ResourceEncoder } from './ads-wire.js';

/** A whole type's resources encoded: name → bytes, plus all their frames concatenated. */
export interface EncodedSet {
  readonly content: ReadonlyMap<string, Uint8Array>;
  /**
   * The frames concatenated, built on each read and not kept: a proxy-specific Map (CDS with the
   * proxy's inbound clusters) would otherwise pin a multi-MB copy per proxy for as long as the
   * proxy is connected, although it is only read when the set is sent.
   */
  readonly body: Buffer;
}

/** An {@link EncodedSet} whose body is concatenated from the shared frames when read. */
class LazyEncodedSet implements EncodedSet {
  constructor(
    readonly content: ReadonlyMap<string, Uint8Array>,
    private readonly frames: readonly Buffer[],
  ) {}

  get body(): Buffer {
    let body = recentBodies.get(this);
    if (!body) {
      body = Buffer.concat(this.frames);
      // Proxies sharing a Map are usually refreshed one after another: keep the last few bodies.
      if (recentBodies.size >= RECENT_BODIES) recentBodies.delete(recentBodies.keys().next().value!);
      recentBodies.set(this, body);
    }
    return body;
  }
}

const RECENT_BODIES = 4;
const recentBodies = new Map<LazyEncodedSet, Buffer>();

interface SetEntry {
  typeUrl: string;
  /** The entries as encoded, to re-check on lookup; undefined for a Map marked immutable. */
  entries: [string, object][] | undefined;
  set: EncodedSet;
}

/** Resource Maps their provider promised never to mutate (see {@link markImmutable}), with their source. */
const immutableMaps = new WeakMap<ReadonlyMap<string, object>, object | undefined>();

/**
 * Declares that `map` (and the resource objects in it) will never be mutated: the server then
 * trusts its cached encoding of the Map without re-checking every entry on each lookup (3,000
 * clusters per proxy per push otherwise), and takes no copy of it to diff against. `source`, when
 * given, is what the entries were made from (a resource list): two immutable Maps of the same
 * source hold the same entries, so their diff is empty without comparing them. Returns `map`.
 */
export function markImmutable<M extends ReadonlyMap<string, object>>(map: M, source?: object): M {
  immutableMaps.set(map, source);
  return map;
}

function isImmutable(map: ReadonlyMap<string, object>): boolean {
  return immutableMaps.has(map);
}

/** True when `a` and `b` are immutable Maps made from the same source. */
function sameSource(a: ReadonlyMap<string, object>, b: ReadonlyMap<string, object>): boolean {
  const source = immutableMaps.get(a);
  return source !== undefined && source === immutableMaps.get(b);
}

/**
 * Caches {@link EncodedSet}s by the identity of the resource Map, so proxies that share one Map
 * (the usual case for LDS/CDS) share one encoding and one concatenated body. Each lookup
 * re-checks the Map's entries by reference (O(n), no encoding), so a Map mutated in place is
 * re-encoded rather than served stale.
 */
export class EncodedSetCache {
  private readonly sets = new WeakMap<ReadonlyMap<string, object>, SetEntry>();
  private readonly sameness = new WeakMap<ReadonlyMap<string, Uint8Array>, WeakMap<ReadonlyMap<string, Uint8Array>, boolean>>();

  constructor(private readonly encoder: ResourceEncoder) {}

  /** The encoded set of every resource in `resources`. */
  get(typeUrl: string, resources: ReadonlyMap<string, object>): EncodedSet {
    const hit = this.sets.get(resources);
    if (hit && hit.typeUrl === typeUrl && (hit.entries === undefined || sameEntries(hit.entries, resources))) return hit.set;
    const trusted = isImmutable(resources);
    const entries: [string, object][] = [];
    const content = new Map<string, Uint8Array>();
    const frames: Buffer[] = [];
    for (const [name, obj] of resources) {
      const bytes = this.encoder.encode(typeUrl, obj);
      if (!trusted) entries.push([name, obj]);
      content.set(name, bytes);
      frames.push(this.encoder.frame(typeUrl, bytes));
    }
    const set: EncodedSet = new LazyEncodedSet(content, frames);
    this.sets.set(resources, { typeUrl, entries: trusted ? undefined : entries, set });
    return set;
  }

  /** `compare(a, b)`, computed once per pair of encoded contents and remembered. */
  same(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>, compare: (a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>) => boolean): boolean {
    if (a === b) return true;
    let byB = this.sameness.get(a);
    const hit = byB?.get(b);
    if (hit !== undefined) return hit;
    const result = compare(a, b);
    if (!byB) this.sameness.set(a, (byB = new WeakMap()));
    byB.set(b, result);
    return result;
  }
}

function sameEntries(entries: readonly [string, object][], map: ReadonlyMap<string, object>): boolean {
  if (entries.length !== map.size) return false;
  let i = 0;
  for (const [name, obj] of map) {
    const e = entries[i++]!;
    if (e[0] !== name || e[1] !== obj) return false;
  }
  return true;
}

/**
 * Names whose resource object changed (by identity; added or removed included) between two
 * resource Maps, computed once per pair and shared by every proxy that moves between them. The
 * first Map of a pair is compared through a copy taken when the server first reconciled against
 * it, so a provider that later mutates that Map in place cannot hide a change.
 */
export class MapDiffs {
  private readonly frozen = new WeakMap<ReadonlyMap<string, object>, ReadonlyMap<string, object>>();
  private readonly diffs = new WeakMap<ReadonlyMap<string, object>, WeakMap<ReadonlyMap<string, object>, readonly string[]>>();

  /** Remembers the current entries of `map` (once per Map) as the basis of later diffs. */
  freeze(map: ReadonlyMap<string, object>): void {
    if (!isImmutable(map) && !this.frozen.has(map)) this.frozen.set(map, new Map(map));
  }

  /** Names that differ from `prev` (as frozen) to `next`. */
  changed(prev: ReadonlyMap<string, object>, next: ReadonlyMap<string, object>): readonly string[] {
    let byNext = this.diffs.get(prev);
    const hit = byNext?.get(next);
    if (hit) return hit;
    const before = this.frozen.get(prev) ?? prev;
    const out: string[] = [];
    if (!sameSource(prev, next)) {
      for (const [name, obj] of next) if (before.get(name) !== obj) out.push(name);
      for (const name of before.keys()) if (!next.has(name)) out.push(name);
    }
    if (!byNext) this.diffs.set(prev, (byNext = new WeakMap()));
    byNext.set(next, out);
    this.freeze(next);
    return out;
  }
}
