/**
 * Non-cryptographic hashing for load balancing, written for the request path: no allocation, no
 * BigInt, only 32-bit integer and exact double arithmetic.
 *
 * - Strings are hashed with 64-bit FNV-1a over their UTF-8 bytes, followed by the MurmurHash3
 *   64-bit finalizer (`fmix64`) so every output bit depends on every input bit (FNV-1a alone mixes
 *   its last bytes poorly, which matters for ring positions).
 * - Hashes are handed around as JavaScript numbers holding 53 well-mixed bits (an unsigned integer
 *   in [0, 2^53)), so they can be compared, stored in a Float64Array and reduced modulo a table
 *   size exactly, without allocating a BigInt per request.
 *
 * Envoy uses xxHash64; Weft's host selection therefore differs from Envoy's for the same key, which
 * only matters if the two are mixed behind one service (they are not meant to be).
 */

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO53 = 9007199254740992;

/**
 * The 64-bit working register: [high half, low half]. A typed array, not module-level `let`s:
 * storing a number above 2^31 in a `let` would box it in a fresh heap number on every write.
 */
const REG = new Uint32Array(2);

/** High 32 bits of the 64-bit product of two unsigned 32-bit integers, exactly. */
function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid = a1 * b0 + a0 * b1; // < 2^33
  return a1 * b1 + Math.floor((mid * 65536 + a0 * b0) / TWO32);
}

/**
 * MurmurHash3's 64-bit finalizer (x ^= x >>> 33; x *= C1; x ^= x >>> 33; x *= C2; x ^= x >>> 33)
 * on the register, with 64-bit products assembled from 32-bit halves in locals.
 */
function fmix64(): void {
  let hi = REG[0]!;
  let lo = (REG[1]! ^ (hi >>> 1)) >>> 0;
  // x *= 0xff51afd7_ed558ccd
  let nlo = Math.imul(lo, 0xed558ccd) >>> 0;
  hi = (mulHi32(lo, 0xed558ccd) + Math.imul(hi, 0xed558ccd) + Math.imul(lo, 0xff51afd7)) >>> 0;
  lo = (nlo ^ (hi >>> 1)) >>> 0;
  // x *= 0xc4ceb9fe_1a85ec53
  nlo = Math.imul(lo, 0x1a85ec53) >>> 0;
  hi = (mulHi32(lo, 0x1a85ec53) + Math.imul(hi, 0x1a85ec53) + Math.imul(lo, 0xc4ceb9fe)) >>> 0;
  REG[0] = hi;
  REG[1] = (nlo ^ (hi >>> 1)) >>> 0;
}

/**
 * Runs FNV-1a 64 over the UTF-8 encoding of `s[start, end)` into the register (unfinalized).
 * Each byte: xor into the low half, multiply by the FNV prime 2^40 + 0x1b3, i.e.
 * x·0x1b3 + (x << 40), with the 32-bit halves kept in int32 locals (wrapping like uint32).
 * Lone surrogates are hashed as U+FFFD, as TextEncoder encodes them.
 */
function fnv1a64(s: string, start: number, end: number): void {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    // The UTF-8 bytes of this code point, packed big-endian into `bytes`, `count` of them.
    let bytes: number;
    let count: number;
    if (c < 0x80) {
      bytes = c;
      count = 1;
    } else if (c < 0x800) {
      bytes = ((0xc0 | (c >>> 6)) << 8) | (0x80 | (c & 0x3f));
      count = 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes = ((0xe0 | (c >>> 12)) << 16) | ((0x80 | ((c >>> 6) & 0x3f)) << 8) | (0x80 | (c & 0x3f));
      count = 3;
    } else {
      const d = c <= 0xdbff && i + 1 < end ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        bytes = ((0xf0 | (cp >>> 18)) << 24) | ((0x80 | ((cp >>> 12) & 0x3f)) << 16) | ((0x80 | ((cp >>> 6) & 0x3f)) << 8) | (0x80 | (cp & 0x3f));
        count = 4;
        i++;
      } else {
        bytes = 0xefbfbd;
        count = 3;
      }
    }
    for (let k = count - 1; k >= 0; k--) {
      const x = lo ^ ((bytes >>> (k * 8)) & 0xff);
      // Bits 32.. of x·0x1b3, from 16-bit halves so every step stays a 32-bit integer op.
      const carry = ((x >>> 16) * 0x1b3 + (((x & 0xffff) * 0x1b3) >>> 16)) >>> 16;
      lo = Math.imul(x, 0x1b3);
      hi = Math.imul(hi, 0x1b3) + carry + (x << 8);
    }
  }
  REG[0] = hi;
  REG[1] = lo; // the typed array reduces both modulo 2^32
}

/** The register as a 53-bit number: 21 high bits of the high half, all 32 of the low half. */
function reg53(): number {
  return (REG[0]! >>> 11) * TWO32 + REG[1]!;
}

/**
 * Hashes `s[start, end)` (UTF-8 bytes) to a well-mixed unsigned integer in [0, 2^53). Substring
 * bounds let callers hash a cookie or query value in place, without slicing.
 */
export function hashString(s: string, start = 0, end = s.length): number {
  fnv1a64(s, start, end);
  fmix64();
  return reg53();
}

/**
 * Hashes `s` to 16 lowercase hex digits (the full 64-bit value). Used for generated cookie
 * values, which Envoy also renders as the hex of a 64-bit hash.
 */
export function hashStringHex(s: string): string {
  fnv1a64(s, 0, s.length);
  fmix64();
  return REG[0]!.toString(16).padStart(8, '0') + REG[1]!.toString(16).padStart(8, '0');
}

/**
 * Mixes a hash (any finite number; only its integer part modulo 2^64 matters) with a small integer
 * salt into a fresh, well-mixed value in [0, 2^53). Derives many independent positions from one
 * host hash (ring entries, Maglev offset and skip) and spreads caller-supplied request hashes that
 * may not be uniform (e.g. a 32-bit hash or a small integer) over the whole space.
 */
export function mixHash(h: number, salt: number): number {
  return mixHalves(Math.floor(h / TWO32) >>> 0, h >>> 0, salt);
}

/** {@link mixHash} on a 64-bit value given as unsigned 32-bit halves. */
function mixHalves(hi: number, lo: number, salt: number): number {
  REG[1] = (lo ^ Math.imul(salt | 0, 0x9e3779b9)) >>> 0;
  REG[0] = (hi ^ 0x7f4a7c15) >>> 0;
  fmix64();
  return reg53();
}

/**
 * Turns an {@link import('./load-balancer.js').LbContext} hash into the 53-bit space the hashing
 * balancers use. Numbers are remixed (cheap, allocation-free); a bigint is first reduced to its
 * low 64 bits, which allocates, so hot callers should pass numbers (hash-policy.ts does).
 */
export function normalizeRequestHash(h: bigint | number): number {
  if (typeof h === 'number') return mixHash(h, 0);
  const u = BigInt.asUintN(64, h);
  const lo = Number(u & 0xffffffffn);
  return mixHalves(Number(u >> 32n), lo, 0);
}

/**
 * Combines an accumulated hash with a new one as Envoy combines hash policies: rotate the old value
 * left by one bit, then xor, so identical policies do not cancel out. Envoy rotates in 64 bits;
 * this rotates in the 53-bit space these hashes live in, with the same effect.
 */
export function combineHashes(previous: number, next: number): number {
  const rotated = previous < TWO52 ? previous * 2 : previous * 2 - TWO53 + 1;
  const hi = (Math.floor(rotated / TWO32) ^ Math.floor(next / TWO32)) >>> 0;
  const lo = (rotated ^ next) >>> 0;
  return hi * TWO32 + lo;
}
