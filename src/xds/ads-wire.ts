/**
 * Encoding on the server's hot path. Each distinct resource object is encoded once (cached by
 * object identity) and its `google.protobuf.Any` frame as a DiscoveryResponse `resources` entry is
 * built once; a response for a proxy is then the concatenation of shared frames plus a few small
 * header fields. With thousands of proxies sharing the same resource objects, a push costs one
 * encoding per changed resource, not one per proxy.
 */
import { encodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { RouteConfigEncoder } from './ads-route-encoding.js';
import { AdsError, AdsErrorCode } from './ads-errors.js';
import { lenFieldSize, WIRE_LEN, writeLenField, writeVarint } from './protobuf-fields.js';

/** Counters that show the caches work (tests and `/debug` read them). */
export interface EncoderStats {
  /** Resource objects encoded (cache misses). */
  encodes: number;
  /** Lookups answered from the identity cache. */
  hits: number;
}

/** Turns a resource object of a type URL into protobuf bytes; throws on objects that do not fit. */
export type EncodeFn = (typeUrl: string, obj: object) => Uint8Array;

/** Default {@link EncodeFn}: protos.ts's `encodeResource` (fromObject, verify, encode). */
export const encodeObject: EncodeFn = encodeResource;

/**
 * Encodes resource objects once per object identity and builds DiscoveryResponse bytes from the
 * cached frames. Resource objects must not be mutated after they were handed to the encoder.
 */
export class ResourceEncoder {
  private readonly bytes = new WeakMap<object, { typeUrl: string; bytes: Uint8Array }>();
  private readonly frames = new WeakMap<Uint8Array, Buffer>();
  readonly stats: EncoderStats = { encodes: 0, hits: 0 };

  private readonly encodeFn: EncodeFn;

  /**
   * `encodeFn` defaults to protos.ts's encoder, with RouteConfigurations encoded by parts (one
   * cached encoding per VirtualHost object, see ads-route-encoding.ts).
   */
  constructor(encodeFn?: EncodeFn) {
    if (encodeFn) {
      this.encodeFn = encodeFn;
    } else {
      const routes = new RouteConfigEncoder();
      this.encodeFn = (typeUrl, obj) => (typeUrl === TypeUrl.RouteConfiguration ? routes.encode(obj) : encodeObject(typeUrl, obj));
    }
  }

  /** The resource's protobuf bytes for `typeUrl`; encoded on first sight of the object. */
  encode(typeUrl: string, obj: object): Uint8Array {
    const cached = this.bytes.get(obj);
    if (cached && cached.typeUrl === typeUrl) {
      this.stats.hits++;
      return cached.bytes;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.encodeFn(typeUrl, obj);
    } catch (cause) {
      throw new AdsError(AdsErrorCode.Encode, `${typeUrl.replace(/^.*\//, '')}: ${(cause as Error).message}`, { cause });
    }
    this.stats.encodes++;
    this.bytes.set(obj, { typeUrl, bytes });
    return bytes;
  }

  /**
   * The bytes of one DiscoveryResponse `resources` entry (field 2, an `Any` with `type_url` and
   * `value`) for already-encoded resource bytes; built once per bytes object.
   */
  frame(typeUrl: string, bytes: Uint8Array): Buffer {
    let f = this.frames.get(bytes);
    if (f) return f;
    const url = Buffer.from(typeUrl, 'utf8');
    const anyLen = lenFieldSize(1, url.length) + lenFieldSize(2, bytes.length);
    f = Buffer.allocUnsafe(lenFieldSize(2, anyLen));
    let pos = writeVarint(f, 0, (2 << 3) | WIRE_LEN);
    pos = writeVarint(f, pos, anyLen);
    pos = writeLenField(f, pos, 1, url);
    writeLenField(f, pos, 2, bytes);
    this.frames.set(bytes, f);
    return f;
  }
}

/** The fields of one DiscoveryResponse, with resources as prebuilt frames. */
export interface ResponseParts {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  frames: readonly Buffer[];
  controlPlaneId?: string;
}

/** Responses at least this large are remembered for proxies that get the very same one. */
const SHARE_RESPONSE_BYTES = 64 * 1024;
/** How many (one per proxy scope in a push, typically; each pins its bytes until replaced). */
const RECENT_RESPONSES = 16;
const recentResponses: { key: string; frames: readonly Buffer[]; bytes: Buffer }[] = [];

/**
 * Builds DiscoveryResponse wire bytes (fields 1, 2*, 4, 5, 6) from prebuilt resource frames. The
 * server gives proxies that get the same content in one push the same version and nonce, so a
 * large response with the same header fields and the same frame objects as a recent one is that
 * one's bytes (never mutated: the transport copies them into its own framing).
 */
export function encodeResponse(p: ResponseParts): Buffer {
  let size = 0;
  for (const f of p.frames) size += f.length;
  if (size < SHARE_RESPONSE_BYTES) return buildResponse(p);
  const key = `${p.versionInfo}\n${p.typeUrl}\n${p.nonce}\n${p.controlPlaneId ?? ''}`;
  for (const e of recentResponses) if (e.key === key && sameFrames(e.frames, p.frames)) return e.bytes;
  const bytes = buildResponse(p);
  if (recentResponses.length >= RECENT_RESPONSES) recentResponses.shift();
  recentResponses.push({ key, frames: [...p.frames], bytes });
  return bytes;
}

function sameFrames(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildResponse(p: ResponseParts): Buffer {
  const version = Buffer.from(p.versionInfo, 'utf8');
  const typeUrl = Buffer.from(p.typeUrl, 'utf8');
  const nonce = Buffer.from(p.nonce, 'utf8');
  let cp: Buffer | undefined;
  if (p.controlPlaneId) {
    const id = Buffer.from(p.controlPlaneId, 'utf8');
    cp = Buffer.allocUnsafe(lenFieldSize(1, id.length));
    writeLenField(cp, 0, 1, id);
  }
  let size = 0;
  if (version.length) size += lenFieldSize(1, version.length);
  for (const f of p.frames) size += f.length;
  if (typeUrl.length) size += lenFieldSize(4, typeUrl.length);
  if (nonce.length) size += lenFieldSize(5, nonce.length);
  if (cp) size += lenFieldSize(6, cp.length);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (version.length) pos = writeLenField(buf, pos, 1, version);
  for (const f of p.frames) {
    buf.set(f, pos);
    pos += f.length;
  }
  if (typeUrl.length) pos = writeLenField(buf, pos, 4, typeUrl);
  if (nonce.length) pos = writeLenField(buf, pos, 5, nonce);
  if (cp) writeLenField(buf, pos, 6, cp);
  return buf;
}

/** Encodings at least this long have their comparisons remembered (see {@link sameBytes}). */
const REMEMBER_COMPARE_BYTES = 64 * 1024;
const comparisons = new WeakMap<Uint8Array, WeakMap<Uint8Array, boolean>>();

/**
 * True when two encodings are byte-for-byte equal (identity first, then contents). Encodings are
 * never mutated once made, so the outcome for a pair of large ones (a 1 MB RouteConfiguration that
 * every proxy of a scope compares with the one it held) is computed once and remembered by the
 * identities of the pair.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  if (a.length < REMEMBER_COMPARE_BYTES) return Buffer.compare(a, b) === 0;
  let byB = comparisons.get(a);
  const hit = byB?.get(b);
  if (hit !== undefined) return hit;
  const same = Buffer.compare(a, b) === 0;
  if (!byB) comparisons.set(a, (byB = new WeakMap()));
  byB.set(b, same);
  return same;
}
