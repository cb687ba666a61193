import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedSetCache, MapDiffs, markImmutable } from './ads-cache.js';
import { ResourceEncoder, sameBytes } from './ads-wire.js';

const encodeFn = (_typeUrl: string, obj: object) => Buffer.from(JSON.stringify(obj));

test('a mutable Map is re-checked and re-encoded after a change in place; an immutable one is trusted', () => {
  const sets = new EncodedSetCache(new ResourceEncoder(encodeFn));
  const mutable = new Map<string, object>([['a', { v: 1 }]]);
  const first = sets.get('t', mutable);
  mutable.set('a', { v: 2 });
  assert.notEqual(sets.get('t', mutable), first);
  assert.deepEqual(JSON.parse(Buffer.from(sets.get('t', mutable).content.get('a')!).toString()), { v: 2 });
  const immutable = markImmutable(new Map<string, object>([['a', { v: 1 }]]));
  const set = sets.get('t', immutable);
  assert.equal(sets.get('t', immutable), set);
});

test('diffs of immutable Maps: the same source diffs empty, another source by identity', () => {
  const diffs = new MapDiffs();
  const a = { n: 'a' };
  const b = { n: 'b' };
  const list = [a, b];
  const m1 = markImmutable(new Map<string, object>([['a', a], ['b', b]]), list);
  const m2 = markImmutable(new Map(m1), list);
  diffs.freeze(m1);
  assert.deepEqual(diffs.changed(m1, m2), []);
  const b2 = { n: 'b' };
  const m3 = markImmutable(new Map<string, object>([['a', a], ['b', b2], ['c', a]]), [a, b2, a]);
  assert.deepEqual(diffs.changed(m2, m3), ['b', 'c']);
  const m4 = markImmutable(new Map<string, object>([['a', a]]));
  assert.deepEqual(diffs.changed(m3, m4), ['b', 'c']);
});

test('sameBytes remembers large comparisons by identity and still compares contents', () => {
  const big = Buffer.alloc(100_000, 1);
  const same = Buffer.alloc(100_000, 1);
  const other = Buffer.alloc(100_000, 1);
  other[99_999] = 2;
  assert.equal(sameBytes(big, same), true);
  assert.equal(sameBytes(big, same), true);
  assert.equal(sameBytes(big, other), false);
  assert.equal(sameBytes(big, other), false);
  assert.equal(sameBytes(Buffer.from('ab'), Buffer.from('ab')), true);
  assert.equal(sameBytes(Buffer.from('ab'), Buffer.from('ac')), false);
});
