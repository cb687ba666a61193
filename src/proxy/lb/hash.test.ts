/** The hash primitives against straightforward BigInt reference implementations. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { combineHashes, hashString, hashStringHex, mixHash, normalizeRequestHash } from './hash.js';
import { seededRandom } from './testing/seeded-random.js';

const M64 = (1n << 64n) - 1n;

function referenceFnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & M64;
  return h;
}

function referenceFmix64(x: bigint): bigint {
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & M64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & M64;
  x ^= x >> 33n;
  return x;
}

/** The 53 bits hashString keeps: the top 21 bits of the high half, then the low 32 bits. */
function to53(x: bigint): number {
  return Number(((x >> 43n) << 32n) | (x & 0xffffffffn));
}

const samples = ['', 'a', 'foobar', 'user-1234', '10.0.0.1:8080', 'héllo wörld', '日本語', '😀 emoji', 'lone \ud800 surrogate', 'x'.repeat(1000)];

describe('hash primitives', () => {
  it('hashString is FNV-1a 64 over UTF-8 then fmix64, reduced to 53 bits', () => {
    for (const s of samples) {
      const full = referenceFmix64(referenceFnv1a64(s));
      assert.equal(hashString(s), to53(full), JSON.stringify(s));
      assert.equal(hashStringHex(s), full.toString(16).padStart(16, '0'), JSON.stringify(s));
    }
  });

  it('hashes substrings in place exactly like the sliced string', () => {
    const s = 'session=abc123; other=😀x';
    for (const [a, b] of [[0, 7], [8, 14], [16, s.length], [3, 3]] as const) assert.equal(hashString(s, a, b), hashString(s.slice(a, b)));
  });

  it('produces integers in [0, 2^53) with well-spread bits', () => {
    const ones = new Array<number>(53).fill(0);
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const h = hashString(`key-${i}`);
      assert.ok(Number.isSafeInteger(h) && h >= 0);
      let x = BigInt(h);
      for (let b = 0; b < 53; b++, x >>= 1n) ones[b]! += Number(x & 1n);
    }
    for (let b = 0; b < 53; b++) assert.ok(Math.abs(ones[b]! - n / 2) < 5 * Math.sqrt(n / 4), `bit ${b}: ${ones[b]}`);
  });

  it('mixHash and normalizeRequestHash are deterministic, salt-sensitive, and agree for number and bigint', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const h = Math.floor(random() * 2 ** 53);
      assert.equal(mixHash(h, 5), mixHash(h, 5));
      assert.notEqual(mixHash(h, 5), mixHash(h, 6));
      assert.equal(normalizeRequestHash(h), normalizeRequestHash(BigInt(h)));
    }
    // Small integers (e.g. a caller's 32-bit hash) are spread over the whole space.
    assert.ok(normalizeRequestHash(1) > 2 ** 40 || normalizeRequestHash(2) > 2 ** 40);
    // Only the low 64 bits of a bigint count.
    assert.equal(normalizeRequestHash((1n << 64n) + 7n), normalizeRequestHash(7n));
  });

  it('combineHashes rotates the old value left by one (53-bit) and xors the new one', () => {
    const random = seededRandom(2);
    const M53 = (1n << 53n) - 1n;
    for (let i = 0; i < 200; i++) {
      const a = Math.floor(random() * 2 ** 53);
      const b = Math.floor(random() * 2 ** 53);
      const A = BigInt(a);
      const expected = (((A << 1n) | (A >> 52n)) & M53) ^ BigInt(b);
      assert.equal(combineHashes(a, b), Number(expected));
    }
    const h = hashString('same');
    assert.notEqual(combineHashes(h, h), 0, 'duplicate policies do not cancel out');
  });
});
