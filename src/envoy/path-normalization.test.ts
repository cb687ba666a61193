import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalPath, normalizeRequestPath, removeDotSegments, type PathNormalizationOptions } from './path-normalization.js';

const NONE: PathNormalizationOptions = { normalizePath: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };
const BASE: PathNormalizationOptions = { normalizePath: true, mergeSlashes: false, escapedSlashes: 'IMPLEMENTATION_SPECIFIC_DEFAULT' };
const MERGE: PathNormalizationOptions = { ...BASE, mergeSlashes: true };
const DECODE: PathNormalizationOptions = { ...MERGE, escapedSlashes: 'UNESCAPE_AND_FORWARD' };
const STRICT: PathNormalizationOptions = { ...MERGE, escapedSlashes: 'REJECT_REQUEST' };
const REDIRECT: PathNormalizationOptions = { ...MERGE, escapedSlashes: 'UNESCAPE_AND_REDIRECT' };

function ok(p: string, o: PathNormalizationOptions): string {
  const r = normalizeRequestPath(p, o);
  assert.equal(r.kind, 'ok', `${p}: ${JSON.stringify(r)}`);
  return (r as { path: string }).path;
}

test('RFC 3986 dot-segment removal', () => {
  assert.equal(removeDotSegments('/a/b/c/./../../g'), '/a/g');
  assert.equal(removeDotSegments('/../admin'), '/admin');
  assert.equal(removeDotSegments('/a/..'), '/');
  assert.equal(removeDotSegments('/a/.'), '/a/');
  assert.equal(removeDotSegments('/a/b/'), '/a/b/');
  assert.equal(removeDotSegments('/.hidden/..x'), '/.hidden/..x');
});

test('NONE leaves the path alone (but drops a fragment)', () => {
  assert.equal(ok('/a//b/../%2F%61', NONE), '/a//b/../%2F%61');
  assert.equal(ok('/a#frag', NONE), '/a');
});

test('BASE: unreserved escapes decoded, other escapes upper-cased, backslash is a slash, dot segments removed', () => {
  assert.equal(ok('/%61dmin', BASE), '/admin');
  assert.equal(ok('/%7euser/%2e%2e/x', BASE), '/x');
  assert.equal(ok('/a%2fb', BASE), '/a%2Fb');
  assert.equal(ok('/a%20b', BASE), '/a%20b');
  assert.equal(ok('/a\\..\\admin', BASE), '/admin');
  assert.equal(ok('/a//../b', BASE), '/a/b');
  assert.equal(ok('/x/../admin?q=/../y&z=%2F', BASE), '/admin?q=/../y&z=%2F');
});

test('MERGE_SLASHES merges runs of slashes and the result is a fixed point', () => {
  for (const p of ['//admin', '/a///b//', '/a//../b', '/./././/admin/.//x', '/%2e/%2e%2e//admin']) {
    const once = ok(p, MERGE);
    assert.ok(!once.includes('//'), once);
    assert.equal(ok(once, MERGE), once, `not idempotent for ${p}`);
  }
  assert.equal(ok('//admin', MERGE), '/admin');
});

test('DECODE_AND_MERGE_SLASHES unescapes %2F and %5C before normalizing', () => {
  assert.equal(ok('/admin%2F..%2Fx', DECODE), '/x');
  assert.equal(ok('/a%5Cb', DECODE), '/a/b');
});

test('UNESCAPE_AND_REDIRECT redirects to the unescaped path', () => {
  assert.deepEqual(normalizeRequestPath('/a%2Fb', REDIRECT), { kind: 'redirect', path: '/a/b' });
  assert.equal(ok('/a/b', REDIRECT), '/a/b');
});

test('WEFT_STRICT (REJECT_REQUEST): escaped slashes, backslashes, bad and control escapes are rejected', () => {
  const reject = (p: string, reason: string) => assert.deepEqual(normalizeRequestPath(p, STRICT), { kind: 'reject', reason });
  reject('/admin%2Fx', 'escaped_slash');
  reject('/admin%2f', 'escaped_slash');
  reject('/admin%5Cx', 'escaped_slash');
  reject('/a\\admin', 'backslash');
  reject('/a%zz', 'invalid_escape');
  reject('/a%2', 'invalid_escape');
  reject('/a%00', 'escaped_control_char');
});

test('WEFT_STRICT: the query may hold escaped slashes; the path is normalized', () => {
  assert.equal(ok('/a/../b?next=%2Fhome', STRICT), '/b?next=%2Fhome');
  assert.equal(ok('/ADMIN', STRICT), '/ADMIN');
  assert.equal(ok('/%252F', STRICT), '/%252F');
  assert.equal(canonicalPath('//a/./b', true), '/a/b');
});

test('fuzz: strict results are fixed points with no dot segment, double slash, backslash or escaped slash', () => {
  const parts = ['/', 'a', '.', '..', '%2e', '%2E', '%2f', '%5c', '\\', '%61', '%25', '//', 'admin', '%', '?', 'x=%2F', '#'];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % parts.length);
  for (let i = 0; i < 3000; i++) {
    let p = '/';
    for (let j = 0; j < 8; j++) p += parts[rnd()];
    for (const o of [STRICT, MERGE, BASE, DECODE]) {
      const r = normalizeRequestPath(p, o);
      if (r.kind !== 'ok') continue;
      const path = r.path.split('?')[0]!;
      assert.doesNotMatch(path, /(^|\/)\.\.?(\/|$)/, `${p} → ${r.path}`);
      if (o.mergeSlashes) assert.doesNotMatch(path, /\/\//, `${p} → ${r.path}`);
      if (o === STRICT) assert.doesNotMatch(path, /\\|%2f|%5c/i, `${p} → ${r.path}`);
      const again = normalizeRequestPath(r.path, o);
      assert.deepEqual(again, { kind: 'ok', path: r.path }, `not a fixed point: ${p} → ${r.path}`);
    }
  }
});
