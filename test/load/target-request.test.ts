/**
 * Unit tests of URL/proxy resolution and request serialization.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bypassesProxy, resolveTarget, TargetError } from '../../src/load/target.js';
import { buildRequest, HeaderError, parseHeader } from '../../src/load/request.js';

test('URLs: default scheme, ports, paths and queries', () => {
  const t = resolveTarget('localhost:8080/a?b=1');
  assert.equal(t.url.href, 'http://localhost:8080/a?b=1');
  assert.deepEqual([t.connectHost, t.connectPort, t.requestTarget, t.authority, t.tls], ['localhost', 8080, '/a?b=1', 'localhost:8080', false]);
  const s = resolveTarget('https://example.com');
  assert.deepEqual([s.connectPort, s.requestTarget, s.tls, s.servername], [443, '/', true, 'example.com']);
  assert.equal(resolveTarget('http://[::1]:9/').connectHost, '::1');
  for (const bad of ['ftp://x/', 'http://', 'http://u:p@x/', 'http://127.0.0.1:0/']) assert.throws(() => resolveTarget(bad), TargetError, bad);
});

test('HTTP_PROXY is used only when asked, with absolute-form targets and NO_PROXY exceptions', () => {
  const env = { HTTP_PROXY: 'http://127.0.0.1:15001', NO_PROXY: 'localhost,127.0.0.0/8,.internal' };
  assert.equal(resolveTarget('http://reviews:9080/r', { env }).proxy, undefined);
  const t = resolveTarget('http://reviews:9080/r', { env, useEnvProxy: true });
  assert.deepEqual([t.connectHost, t.connectPort, t.requestTarget, t.authority], ['127.0.0.1', 15001, 'http://reviews:9080/r', 'reviews:9080']);
  assert.equal(resolveTarget('http://127.0.0.5:80/', { env, useEnvProxy: true }).proxy, undefined);
  assert.equal(resolveTarget('http://a.internal/', { env, useEnvProxy: true }).proxy, undefined);
  assert.equal(resolveTarget('https://reviews/', { env, useEnvProxy: true }).proxy, undefined, 'https connects directly');
  assert.equal(resolveTarget('http://x/', { env: { http_proxy: 'proxy:3128' }, useEnvProxy: true }).connectPort, 3128);
  assert.throws(() => resolveTarget('http://x/', { env: { HTTP_PROXY: 'socks5://p:1' }, useEnvProxy: true }), TargetError);
  // weft up's pod proxy URL carries the pod's outbound credential: sent as Basic, never printed.
  const c = resolveTarget('http://x/', { env: { HTTP_PROXY: 'http://weft:s%2Fcret@127.10.0.2:15001' }, useEnvProxy: true });
  assert.equal(c.proxyAuthorization, `Basic ${Buffer.from('weft:s/cret').toString('base64')}`);
  assert.equal(c.proxy, 'http://127.10.0.2:15001/');
  assert.ok(buildRequest({ target: c }).bytes.toString('latin1').includes(`\r\nProxy-Authorization: ${c.proxyAuthorization}\r\n`));
  assert.equal(t.proxyAuthorization, undefined);
});

test('NO_PROXY matching', () => {
  assert.equal(bypassesProxy('a.b.com', 80, '*'), true);
  assert.equal(bypassesProxy('a.b.com', 80, 'b.com'), true);
  assert.equal(bypassesProxy('ab.com', 80, 'b.com'), false);
  assert.equal(bypassesProxy('b.com', 80, '.b.com'), true);
  assert.equal(bypassesProxy('b.com', 80, 'b.com:8080'), false);
  assert.equal(bypassesProxy('b.com', 8080, 'b.com:8080'), true);
  assert.equal(bypassesProxy('10.1.2.3', 80, '10.0.0.0/8'), true);
  assert.equal(bypassesProxy('11.1.2.3', 80, '10.0.0.0/8'), false);
  assert.equal(bypassesProxy('x', 80, ''), false);
});

test('the request: Host from the URL unless overridden, user headers, payload framing', () => {
  const target = resolveTarget('http://127.0.0.1:8080/p');
  const get = buildRequest({ target, headers: ['X-A: 1'], userAgent: 'ua' });
  assert.equal(get.method, 'GET');
  assert.equal(get.bytes.toString(), 'GET /p HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: ua\r\nX-A: 1\r\n\r\n');
  const post = buildRequest({ target, headers: ['host: svc.example', 'User-Agent: mine'], payload: Buffer.from('abc'), keepAlive: false });
  assert.equal(post.bytes.toString(), 'POST /p HTTP/1.1\r\nhost: svc.example\r\nUser-Agent: mine\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
  assert.equal(post.headBytes, post.bytes.length - 3);
  assert.equal(buildRequest({ target, method: 'PUT' }).bytes.toString().includes('Content-Length: 0'), true);
  assert.equal(buildRequest({ target, method: 'HEAD', payload: Buffer.alloc(0) }).method, 'HEAD');
});

test('headers that could inject lines or break framing are refused', () => {
  assert.deepEqual(parseHeader('X-Empty:'), ['X-Empty', '']);
  assert.deepEqual(parseHeader('  X-Sp :  v v  '), ['X-Sp', 'v v']);
  const target = resolveTarget('http://x/');
  for (const bad of ['NoColon', ': v', 'Bad Name: v', 'X: a\r\nY: b', 'Content-Length: 5', 'transfer-encoding: chunked']) {
    assert.throws(() => buildRequest({ target, headers: [bad] }), HeaderError, bad);
  }
  assert.throws(() => buildRequest({ target, method: 'GE T' }), HeaderError);
});
