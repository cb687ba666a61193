import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asciiLower, compileRegexMatcher, compileStringMatcher, startsWithIgnoreCase } from './string-matcher.js';
import { EnvoyConfigError } from './errors.js';

test('exact, prefix, suffix and contains are case-sensitive by default', () => {
  assert.equal(compileStringMatcher({ exact: 'Foo' })('Foo'), true);
  assert.equal(compileStringMatcher({ exact: 'Foo' })('foo'), false);
  assert.equal(compileStringMatcher({ prefix: '/api' })('/api/x'), true);
  assert.equal(compileStringMatcher({ prefix: '/api' })('/API/x'), false);
  assert.equal(compileStringMatcher({ suffix: '.js' })('a.js'), true);
  assert.equal(compileStringMatcher({ suffix: '.js' })('a.JS'), false);
  assert.equal(compileStringMatcher({ contains: 'mid' })('amidb'), true);
  assert.equal(compileStringMatcher({ contains: 'mid' })('aMIDb'), false);
  assert.equal(compileStringMatcher({ exact: '' })(''), true);
});

test('ignoreCase folds ASCII letters only, for every kind but regex', () => {
  assert.equal(compileStringMatcher({ exact: 'FoO', ignoreCase: true })('fOo'), true);
  assert.equal(compileStringMatcher({ exact: 'FoO', ignoreCase: true })('fOoo'), false);
  assert.equal(compileStringMatcher({ prefix: '/API', ignoreCase: true })('/api/v1'), true);
  assert.equal(compileStringMatcher({ suffix: '.JS', ignoreCase: true })('x.js'), true);
  assert.equal(compileStringMatcher({ suffix: '.JS', ignoreCase: true })('s'), false);
  assert.equal(compileStringMatcher({ contains: 'MID', ignoreCase: true })('amidb'), true);
  assert.equal(compileStringMatcher({ exact: 'É', ignoreCase: true })('é'), false);
  assert.equal(compileStringMatcher({ safeRegex: { regex: 'abc' }, ignoreCase: true })('ABC'), false);
});

test('safeRegex must match the whole input', () => {
  const m = compileStringMatcher({ safeRegex: { regex: '[0-9]+' } });
  assert.equal(m('123'), true);
  assert.equal(m('a123'), false);
  assert.equal(m('123a'), false);
  // Alternation is anchored as a whole, and the longer alternative can complete a full match.
  const alt = compileRegexMatcher({ regex: 'a|ab' }, 'r');
  assert.equal(alt('ab'), true);
  assert.equal(alt('abc'), false);
});

test('invalid and missing specifiers are config errors with stable codes', () => {
  assert.throws(() => compileStringMatcher({ safeRegex: { regex: '(' } }, 'm'), (e: unknown) => e instanceof EnvoyConfigError && e.code === 'ENVOY_INVALID_REGEX' && e.where === 'm.safeRegex');
  // Unbalanced on its own even though wrapping in (?: ) would balance it.
  assert.throws(() => compileRegexMatcher({ regex: 'a)|(b' }, 'r'), { code: 'ENVOY_INVALID_REGEX' });
  // RE2 has no look-behind.
  assert.throws(() => compileRegexMatcher({ regex: '(?<=a)b' }, 'r'), { code: 'ENVOY_INVALID_REGEX' });
  assert.throws(() => compileStringMatcher({}), { code: 'ENVOY_INVALID_MATCHER' });
  assert.throws(() => compileStringMatcher({ custom: { name: 'x' } }), { code: 'ENVOY_UNSUPPORTED' });
});

test('ASCII helpers', () => {
  assert.equal(asciiLower('AbC-É'), 'abc-É');
  const s = 'same';
  assert.equal(asciiLower(s), s);
  assert.equal(startsWithIgnoreCase('/API/x', '/api', 0), true);
  assert.equal(startsWithIgnoreCase('x/API', '/api', 1), true);
  assert.equal(startsWithIgnoreCase('/AP', '/api', 0), false);
});
