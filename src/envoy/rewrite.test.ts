import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileRegexSubstitution,
  directReply,
  pathEnd,
  redirectLocation,
  redirectReply,
  rewriteAuthority,
  rewritePath,
  tlsRedirectReply,
} from './rewrite.js';
import type { RequestAttributes } from './header-matcher.js';
import type { Route } from './types.js';

function req(authority: string, path: string, scheme = 'http', headers: RequestAttributes['headers'] = {}): RequestAttributes {
  return { authority, method: 'GET', path, scheme, headers };
}

test('prefixRewrite replaces the matched prefix and keeps the rest and the query', () => {
  const route: Route = { match: { prefix: '/api' }, route: { cluster: 'c', prefixRewrite: '/v2' } };
  assert.equal(rewritePath(route, '/api/users?x=1'), '/v2/users?x=1');
  assert.equal(rewritePath({ match: { prefix: '/api/' }, route: { cluster: 'c', prefixRewrite: '/' } }, '/api/users'), '/users');
  // Case-insensitive match: the matched characters are replaced whatever their case.
  assert.equal(rewritePath({ match: { prefix: '/API', caseSensitive: {} }, route: { cluster: 'c', prefixRewrite: '/new' } }, '/api/x'), '/new/x');
  assert.equal(rewritePath({ match: { path: '/old' }, route: { cluster: 'c', prefixRewrite: '/new' } }, '/old?q=1'), '/new?q=1');
  assert.equal(rewritePath({ match: { pathSeparatedPrefix: '/svc' }, route: { cluster: 'c', prefixRewrite: '/' } }, '/svc/a'), '//a');
  // For regex routes the whole path (without query) is the matched part.
  assert.equal(rewritePath({ match: { safeRegex: { regex: '/items/[0-9]+' } }, route: { cluster: 'c', prefixRewrite: '/item' } }, '/items/42?x'), '/item?x');
  // Empty prefixRewrite means no rewrite.
  assert.equal(rewritePath({ match: { prefix: '/a' }, route: { cluster: 'c', prefixRewrite: '' } }, '/a/b'), '/a/b');
  assert.equal(rewritePath({ match: { prefix: '/a' }, route: { cluster: 'c' } }, '/a/b'), '/a/b');
});

test('regexRewrite is a global RE2 replace over the path, query preserved', () => {
  const swap: Route = {
    match: { prefix: '/' },
    route: { cluster: 'c', regexRewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' } },
  };
  assert.equal(rewritePath(swap, '/service/foo/v1/api?x=1'), '/v1/api/instance/foo?x=1');
  const all: Route = { match: { prefix: '/' }, route: { cluster: 'c', regexRewrite: { pattern: { regex: 'one' }, substitution: 'two' } } };
  assert.equal(rewritePath(all, '/xxx/one/yyy/one/zzz?one'), '/xxx/two/yyy/two/zzz?one');
  const sub = compileRegexSubstitution({ pattern: { regex: '(a)(b)?' }, substitution: '[\\0|\\1|\\2|\\\\]' });
  assert.equal(sub('ac ab'), '[a|a||\\]c [ab|a|b|\\]');
  // Naming a group the pattern lacks replaces nothing, as RE2's GlobalReplace does.
  assert.equal(compileRegexSubstitution({ pattern: { regex: 'a' }, substitution: '\\1' })('aaa'), 'aaa');
  assert.throws(() => compileRegexSubstitution({ pattern: { regex: 'a' }, substitution: '\\x' }), { code: 'ENVOY_INVALID_SUBSTITUTION' });
  assert.throws(() => compileRegexSubstitution({ pattern: { regex: 'a' }, substitution: 'x\\' }), { code: 'ENVOY_INVALID_SUBSTITUTION' });
  assert.throws(() => compileRegexSubstitution({ pattern: { regex: '(' }, substitution: '' }), { code: 'ENVOY_INVALID_REGEX' });
  assert.equal(pathEnd('/a?b#c'), 2);
  assert.equal(pathEnd('/a#c?b'), 2);
  assert.equal(pathEnd('/a'), 2);
});

test('host rewrites: literal, header, path regex, auto', () => {
  const r = req('orig:80', '/tenant/acme/x?y', 'http', { 'x-host': ['h1.example', 'h2.example'] });
  assert.equal(rewriteAuthority({ cluster: 'c' }, r), undefined);
  assert.equal(rewriteAuthority({ cluster: 'c', hostRewriteLiteral: 'new.example' }, r), 'new.example');
  assert.equal(rewriteAuthority({ cluster: 'c', hostRewriteHeader: 'X-Host' }, r), 'h1.example');
  assert.equal(rewriteAuthority({ cluster: 'c', hostRewriteHeader: 'x-missing' }, r), undefined);
  assert.equal(
    rewriteAuthority({ cluster: 'c', hostRewritePathRegex: { pattern: { regex: '^/tenant/([^/]+)/.*$' }, substitution: '\\1.svc' } }, r),
    'acme.svc',
  );
  assert.equal(rewriteAuthority({ cluster: 'c', autoHostRewrite: { value: true } }, r, 'upstream.example'), 'upstream.example');
  assert.equal(rewriteAuthority({ cluster: 'c', autoHostRewrite: {} }, r, 'upstream.example'), undefined);
});

test('redirects: scheme, host, port, path and query handling', () => {
  const https = (authority: string, path = '/p?q=1') => redirectLocation({ httpsRedirect: true }, req(authority, path));
  assert.equal(https('example.com'), 'https://example.com/p?q=1');
  // Switching scheme drops the old scheme's default port, and only that.
  assert.equal(https('example.com:80'), 'https://example.com/p?q=1');
  assert.equal(https('example.com:8080'), 'https://example.com:8080/p?q=1');
  assert.equal(https('[::1]:80'), 'https://[::1]/p?q=1');
  assert.equal(redirectLocation({ schemeRedirect: 'http' }, req('example.com:443', '/', 'https')), 'http://example.com/');
  assert.equal(redirectLocation({ httpsRedirect: true, portRedirect: 8443 }, req('example.com:8080', '/')), 'https://example.com:8443/');
  assert.equal(redirectLocation({ hostRedirect: 'other.example' }, req('example.com:8080', '/a')), 'http://other.example/a');
  assert.equal(redirectLocation({ hostRedirect: 'other.example', portRedirect: 81 }, req('example.com', '/a')), 'http://other.example:81/a');
  assert.equal(redirectLocation({ pathRedirect: '/new' }, req('h', '/old?x=1')), 'http://h/new?x=1');
  assert.equal(redirectLocation({ pathRedirect: '/new?y=2', stripQuery: true }, req('h', '/old?x=1')), 'http://h/new?y=2');
  assert.equal(redirectLocation({ pathRedirect: '/new', stripQuery: true }, req('h', '/old?x=1')), 'http://h/new');
  assert.equal(redirectLocation({ stripQuery: true }, req('h', '/old?x=1')), 'http://h/old');
  assert.equal(redirectLocation({ pathRedirect: 'rel' }, req('h', '/old')), 'http://h/rel');
});

test('redirect replies apply the redirect rewrite and the response code', () => {
  const prefix: Route = { match: { prefix: '/old' }, redirect: { prefixRewrite: '/new' } };
  assert.deepEqual(redirectReply(prefix, req('h', '/old/x?q')), { status: 301, location: 'http://h/new/x?q' });
  const regex: Route = { match: { prefix: '/' }, redirect: { regexRewrite: { pattern: { regex: '^/v1/(.*)$' }, substitution: '/v2/\\1' }, responseCode: 'FOUND' } };
  assert.deepEqual(redirectReply(regex, req('h', '/v1/a?b')), { status: 302, location: 'http://h/v2/a?b' });
  const codes = ['SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'] as const;
  assert.deepEqual(codes.map((c) => redirectReply({ match: { prefix: '/' }, redirect: { responseCode: c } }, req('h', '/')).status), [303, 307, 308]);
  assert.deepEqual(tlsRedirectReply(req('h:80', '/a?b')), { status: 301, location: 'https://h:80/a?b' });
});

test('direct responses: body and Location for 3xx', () => {
  assert.deepEqual(directReply({ match: { prefix: '/' }, directResponse: { status: 200, body: { inlineString: 'ok' } } }, req('h', '/')), { status: 200, body: 'ok' });
  assert.deepEqual(
    directReply({ match: { prefix: '/' }, directResponse: { status: 503, body: { inlineBytes: Buffer.from('down').toString('base64') } } }, req('h', '/')),
    { status: 503, body: 'down' },
  );
  assert.deepEqual(directReply({ match: { prefix: '/' }, directResponse: { status: 302 } }, req('h', '/x')), { status: 302, location: 'http://h/x' });
});
