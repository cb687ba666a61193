/**
 * The resources of one xDS type as the ADS client keeps them: wire bytes by name, decoded to
 * Weft's object form on demand. A sidecar of a large mesh holds thousands of Clusters and
 * ClusterLoadAssignments but talks to a handful of them; their decoded objects take about six
 * times the memory of their bytes, so for such types ("lazy") the map keeps only the bytes and
 * decodes on each `get`. Other types ("eager": Listener, RouteConfiguration, Secret) keep their
 * decoded objects too, so an unchanged resource is the same object across pushes.
 *
 * While one update is being handled, a lazy map also holds the objects the client decoded to check
 * the push (so the handler and the dependency resolver do not decode them again);
 * {@link EncodedResourceMap.release} drops them once the update is done.
 */
import { decodeResource } from './protos.js';

/** Reads field 1 (`name`, or ClusterLoadAssignment's `cluster_name`) of a resource's bytes; undefined when malformed. */
export function rawResourceName(bytes: Uint8Array): string | undefined {
  let pos = 0;
  let name: string | undefined;
  const varint = (): number | undefined => {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) return undefined;
      const b = bytes[pos++]!;
      value += (b & 0x7f) * mul;
      if (b < 0x80) return value;
      mul *= 128;
    }
    return undefined;
  };
  while (pos < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const wire = tag & 7;
    if (wire === 0) {
      if (varint() === undefined) return undefined;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === undefined || pos + len > bytes.length) return undefined;
      // Last occurrence wins, as in protobufjs' decoder.
      if (tag === (1 << 3 | 2)) name = Buffer.from(bytes.buffer, bytes.byteOffset + pos, len).toString('utf8');
      pos += len;
    } else return undefined;
    if (pos > bytes.length) return undefined;
  }
  return name ?? '';
}

/** A read-only map of resource name → decoded resource, backed by the resources' wire bytes. */
export class EncodedResourceMap<T extends object = object> implements ReadonlyMap<string, T> {
  private decoded: Map<string, T> | undefined;

  /**
   * @param typeUrl the resources' type
   * @param bytes name → wire bytes (owned by the map from now on; never mutated)
   * @param lazy true: decode on each `get` (after {@link release}); false: keep decoded objects
   * @param decoded objects already decoded from (some of) these bytes
   */
  constructor(
    readonly typeUrl: string,
    private readonly bytes: ReadonlyMap<string, Uint8Array>,
    readonly lazy: boolean,
    decoded?: Map<string, T>,
  ) {
    this.decoded = decoded ?? new Map();
  }

  /** Number of resources. */
  get size(): number {
    return this.bytes.size;
  }

  /** True when a resource of this name is present. */
  has(name: string): boolean {
    return this.bytes.has(name);
  }

  /** The wire bytes of one resource. */
  encoded(name: string): Uint8Array | undefined {
    return this.bytes.get(name);
  }

  /** The decoded object already held for `name` (eager maps, or a lazy one before release), without decoding. */
  held(name: string): T | undefined {
    return this.decoded?.get(name);
  }

  /** The decoded resource (lazy maps: a new object on each call once released). */
  get(name: string): T | undefined {
    const held = this.decoded?.get(name);
    if (held !== undefined) return held;
    const b = this.bytes.get(name);
    if (b === undefined) return undefined;
    const obj = decodeResource<T>(this.typeUrl, b);
    if (!this.lazy) this.decoded!.set(name, obj);
    return obj;
  }

  /** Drops the decoded objects of a lazy map (from now on `get` decodes); no-op for eager maps. */
  release(): void {
    if (this.lazy) this.decoded = undefined;
  }

  /** Names in insertion order. */
  keys(): IterableIterator<string> {
    return this.bytes.keys();
  }

  /** Every resource, decoded (lazy maps: decoded now, not kept). */
  *values(): IterableIterator<T> {
    for (const name of this.bytes.keys()) yield this.get(name)!;
  }

  /** `[name, resource]` pairs, decoded as {@link values}. */
  *entries(): IterableIterator<[string, T]> {
    for (const name of this.bytes.keys()) yield [name, this.get(name)!];
  }

  /** Name → bytes of every resource. */
  encodedEntries(): IterableIterator<[string, Uint8Array]> {
    return this.bytes.entries();
  }

  /** Calls `fn` for every resource (decoding as {@link values}). */
  forEach(fn: (value: T, key: string, map: ReadonlyMap<string, T>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  [Symbol.iterator](): IterableIterator<[string, T]> {
    return this.entries();
  }

  /** A new map with only the given names (bytes and held objects shared). */
  pick(names: ReadonlySet<string>): EncodedResourceMap<T> {
    const bytes = new Map<string, Uint8Array>();
    const decoded = new Map<string, T>();
    for (const [n, b] of this.bytes) {
      if (!names.has(n)) continue;
      bytes.set(n, b);
      const d = this.decoded?.get(n);
      if (d !== undefined) decoded.set(n, d);
    }
    return new EncodedResourceMap(this.typeUrl, bytes, this.lazy, decoded);
  }
}

/** The wire bytes of `name` when `map` is an {@link EncodedResourceMap}, else undefined. */
export function encodedOf(map: ReadonlyMap<string, object>, name: string): Uint8Array | undefined {
  return map instanceof EncodedResourceMap ? map.encoded(name) : undefined;
}
