import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import {
  compileHeaderMatcher,
  compileHeaderMatchers,
  compileQueryParameterMatchers,
  headerValue,
  parseQueryParams,
  type RequestAttributes,
  type RequestHeaders,
} from './header-matcher.js';

function req(headers: RequestHeaders, over: Partial<RequestAttributes> = {}): RequestAttributes {
  return { authority: 'example.com:8080', method: 'GET', path: '/p?q=1', scheme: 'http', headers, ...over };
}

test('value matchers, inverted, and a missing header', () => {
  const exact = compileHeaderMatcher({ name: 'x-user', stringMatch: { exact: 'admin' } });
  assert.equal(exact(req({ 'x-user': 'admin' })), true);
  assert.equal(exact(req({ 'x-user': 'guest' })), false);
  assert.equal(exact(req({})), false);
  const inverted = compileHeaderMatcher({ name: 'x-user', stringMatch: { exact: 'admin' }, invertMatch: true });
  assert.equal(inverted(req({ 'x-user': 'admin' })), false);
  assert.equal(inverted(req({ 'x-user': 'guest' })), true);
  // Envoy: an inverted value matcher does not match a missing header.
  assert.equal(inverted(req({})), false);
  const regex = compileHeaderMatcher({ name: 'x-v', stringMatch: { safeRegex: { regex: 'v[0-9]' } } });
  assert.equal(regex(req({ 'x-v': 'v1' })), true);
  assert.equal(regex(req({ 'x-v': 'v12' })), false);
  const prefixCi = compileHeaderMatcher({ name: 'X-Env', stringMatch: { prefix: 'PROD', ignoreCase: true } });
  assert.equal(prefixCi(req({ 'x-env': 'prod-eu' })), true);
});

test('presence: present, absent, inverted, treatMissingHeaderAsEmpty', () => {
  const present = compileHeaderMatcher({ name: 'x-a', presentMatch: true });
  const absent = compileHeaderMatcher({ name: 'x-a', presentMatch: false });
  const notPresent = compileHeaderMatcher({ name: 'x-a', presentMatch: true, invertMatch: true });
  const unspecified = compileHeaderMatcher({ name: 'x-a' });
  for (const [h, p, a, np] of [[{ 'x-a': '' }, true, false, false], [{}, false, true, true]] as const) {
    assert.equal(present(req(h)), p);
    assert.equal(absent(req(h)), a);
    assert.equal(notPresent(req(h)), np);
    assert.equal(unspecified(req(h)), p);
  }
  const emptyOk = compileHeaderMatcher({ name: 'x-a', stringMatch: { exact: '' }, treatMissingHeaderAsEmpty: true });
  assert.equal(emptyOk(req({})), true);
  assert.equal(emptyOk(req({ 'x-a': 'v' })), false);
  const presentMissingAsEmpty = compileHeaderMatcher({ name: 'x-a', presentMatch: true, treatMissingHeaderAsEmpty: true });
  assert.equal(presentMissingAsEmpty(req({})), true);
});

test('deprecated specifiers and range match', () => {
  assert.equal(compileHeaderMatcher({ name: 'x', exactMatch: '' })(req({ x: 'anything' })), true);
  assert.equal(compileHeaderMatcher({ name: 'x', exactMatch: '' })(req({})), false);
  assert.equal(compileHeaderMatcher({ name: 'x', exactMatch: 'a' })(req({ x: 'a' })), true);
  assert.equal(compileHeaderMatcher({ name: 'x', prefixMatch: 'ab' })(req({ x: 'abc' })), true);
  assert.equal(compileHeaderMatcher({ name: 'x', suffixMatch: 'bc' })(req({ x: 'abc' })), true);
  assert.equal(compileHeaderMatcher({ name: 'x', containsMatch: 'b' })(req({ x: 'abc' })), true);
  assert.equal(compileHeaderMatcher({ name: 'x', safeRegexMatch: { regex: 'a.c' } })(req({ x: 'abc' })), true);
  const range = compileHeaderMatcher({ name: 'x-n', rangeMatch: { start: -10, end: 0 } });
  assert.equal(range(req({ 'x-n': '-1' })), true);
  assert.equal(range(req({ 'x-n': ' -10 ' })), true);
  assert.equal(range(req({ 'x-n': '0' })), false);
  assert.equal(range(req({ 'x-n': '1.5' })), false);
  assert.equal(compileHeaderMatcher({ name: 'x-n', rangeMatch: { start: -10, end: 0 }, invertMatch: true })(req({ 'x-n': '-1' })), false);
});

test('repeated values are joined with "," and pseudo-headers read the request', () => {
  const r = req({ 'x-m': ['a', 'b'], host: 'ignored-node-copy' });
  assert.equal(headerValue(r, 'x-m'), 'a,b');
  assert.equal(compileHeaderMatcher({ name: 'x-m', stringMatch: { exact: 'a,b' } })(r), true);
  assert.equal(headerValue(r, ':authority'), 'example.com:8080');
  assert.equal(headerValue(r, 'host'), 'example.com:8080');
  assert.equal(headerValue(r, ':method'), 'GET');
  assert.equal(headerValue(r, ':path'), '/p?q=1');
  assert.equal(headerValue(r, ':scheme'), 'http');
  assert.equal(compileHeaderMatcher({ name: ':method', stringMatch: { exact: 'POST' } })(r), false);
  assert.equal(compileHeaderMatcher({ name: ':authority', stringMatch: { suffix: ':8080' } })(r), true);
});

test('a list matches only when every matcher does; an empty list is undefined', () => {
  assert.equal(compileHeaderMatchers([]), undefined);
  const all = compileHeaderMatchers([
    { name: 'a', stringMatch: { exact: '1' } },
    { name: 'b', presentMatch: true },
  ])!;
  assert.equal(all(req({ a: '1', b: 'x' })), true);
  assert.equal(all(req({ a: '1' })), false);
  assert.throws(() => compileHeaderMatchers([{ stringMatch: { exact: '1' } }]), { code: 'ENVOY_INVALID_MATCHER', where: 'headers[0].name' });
});

test('query parameters: first value, no decoding, presence', () => {
  assert.deepEqual([...parseQueryParams('/p?a=1&b&a=2&c=x=y&&')], [['a', '1'], ['b', ''], ['c', 'x=y'], ['', '']]);
  assert.equal(parseQueryParams('/p').size, 0);
  const exact = compileQueryParameterMatchers([{ name: 'debug', stringMatch: { exact: '1' } }])!;
  assert.equal(exact(parseQueryParams('/?debug=1')), true);
  assert.equal(exact(parseQueryParams('/?debug=2&debug=1')), false);
  assert.equal(exact(parseQueryParams('/?debug=%31')), false);
  assert.equal(exact(parseQueryParams('/?x=1')), false);
  const present = compileQueryParameterMatchers([{ name: 'debug', presentMatch: true }])!;
  const absent = compileQueryParameterMatchers([{ name: 'debug', presentMatch: false }])!;
  const bare = compileQueryParameterMatchers([{ name: 'debug' }])!;
  assert.equal(present(parseQueryParams('/?debug')), true);
  assert.equal(absent(parseQueryParams('/?debug')), false);
  assert.equal(absent(parseQueryParams('/?x')), true);
  assert.equal(bare(parseQueryParams('/?debug=')), true);
  assert.equal(bare(parseQueryParams('/')), false);
});

test('a Node IncomingMessage maps onto RequestAttributes without copying headers', () => {
  const m = new IncomingMessage(new Socket());
  m.method = 'GET';
  m.url = '/reviews/1';
  m.headers = { host: 'reviews:9080', 'x-user': 'admin' };
  const view = (msg: IncomingMessage): RequestAttributes => ({
    authority: msg.headers.host,
    method: msg.method ?? 'GET',
    path: msg.url ?? '/',
    scheme: 'http',
    headers: msg.headers,
  });
  assert.equal(compileHeaderMatcher({ name: 'x-user', stringMatch: { exact: 'admin' } })(view(m)), true);
  assert.equal(compileHeaderMatcher({ name: 'constructor' })(view(m)), false);
  assert.equal(headerValue(view(m), ':authority'), 'reviews:9080');
});
