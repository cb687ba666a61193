import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route, VirtualHost } from '../../envoy/types.js';
import type { CorsPolicy } from '../../envoy/types/route.js';
import { convertCorsPolicy } from '../../translate/route/cors.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { FilterStatus } from '../http/filter.js';
import type { MutableHeaders } from '../../envoy/header-ops.js';
import { encodeResponse, stubStream, type StubStream } from '../http/testing/stub-stream.js';
import { CorsFilter, validateCorsPolicies } from './cors-filter.js';

const CORS = 'envoy.filters.http.cors';
const FILTER_INDEX = 7;

interface Fake {
  stub: StubStream;
  /** The direct reply the filter sent (a preflight), if any. */
  readonly reply: { status: number; headers: Record<string, unknown>; details: string | undefined } | undefined;
}

/** A stub stream (no socket) with the route selection, method and headers the CORS filter reads. */
function fakeStream(route: Route, vh: VirtualHost, method: string, headers: Record<string, string>): Fake {
  const stub = stubStream({ route, virtualHost: vh, method, headers, filterIndex: FILTER_INDEX });
  return {
    stub,
    get reply() {
      const r = stub.replies[0];
      return r?.kind === 'direct' ? { status: r.status, headers: { ...r.headers }, details: r.details } : undefined;
    },
  };
}

const routeWith = (cors: CorsPolicy | undefined): Route => ({
  name: 'r', match: { prefix: '/' }, route: { cluster: 'c' },
  ...(cors ? { typedPerFilterConfig: { [CORS]: { '@type': TypeUrl.CorsPolicy, ...cors } } } : {}),
});
const vh: VirtualHost = { name: 'vh', domains: ['*'] };

/** Istio's example policy, translated as istiod does. */
const istio = convertCorsPolicy({
  allowOrigins: [{ exact: 'https://example.com' }, { prefix: 'https://app.' }, { regex: 'https://.*\\.corp\\.test' }],
  allowMethods: ['POST', 'GET'], allowHeaders: ['X-Foo-Bar'], exposeHeaders: ['X-Expose'], maxAge: '24h', allowCredentials: true,
});

function run(route: Route, method: string, headers: Record<string, string>, v: VirtualHost = vh): { status: FilterStatus; fake: Fake; response: MutableHeaders } {
  const fake = fakeStream(route, v, method, headers);
  const status = new CorsFilter(() => 0).decodeHeaders(fake.stub.info, fake.stub.callbacks);
  const response: MutableHeaders = { 'content-type': 'text/plain' };
  encodeResponse(fake.stub, response);
  return { status, fake, response };
}

test('cors: a preflight from an allowed origin (exact, prefix, regex) is answered 200 by the proxy with the Allow headers', () => {
  for (const origin of ['https://example.com', 'https://app.example.org', 'https://x.corp.test']) {
    const { status, fake } = run(routeWith(istio), 'OPTIONS', { origin, 'access-control-request-method': 'POST' });
    assert.equal(status, FilterStatus.Stop, origin);
    assert.equal(fake.reply?.status, 200);
    assert.deepEqual(fake.reply?.headers, {
      'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'POST,GET',
      'access-control-allow-headers': 'X-Foo-Bar', 'access-control-max-age': '86400',
    });
    assert.equal(fake.reply?.details, 'cors_response');
  }
});

test('cors: a preflight from a non-matching origin is forwarded by default (unmatchedPreflights FORWARD)', () => {
  const { status, fake, response } = run(routeWith(istio), 'OPTIONS', { origin: 'https://evil.test', 'access-control-request-method': 'POST' });
  assert.equal(status, FilterStatus.Continue);
  assert.equal(fake.reply, undefined);
  assert.equal(response['access-control-allow-origin'], undefined, 'no CORS headers on the forwarded response');
  // A regex must match the whole origin (RE2 full match), as a prefix does not match a longer scheme.
  assert.equal(run(routeWith(istio), 'OPTIONS', { origin: 'https://x.corp.test.evil', 'access-control-request-method': 'GET' }).status, FilterStatus.Continue);
});

test('cors: unmatchedPreflights IGNORE → a non-matching preflight is answered 200 without Access-Control-Allow-Origin', () => {
  const ignore = convertCorsPolicy({ allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET'], unmatchedPreflights: 'IGNORE' });
  const { status, fake } = run(routeWith(ignore), 'OPTIONS', { origin: 'https://evil.test', 'access-control-request-method': 'GET' });
  assert.equal(status, FilterStatus.Stop);
  assert.equal(fake.reply?.status, 200);
  assert.equal(fake.reply?.headers['access-control-allow-origin'], undefined);
  assert.equal(fake.reply?.headers['access-control-allow-methods'], 'GET');
});

test('cors: a simple request from an allowed origin continues, and its response gets Allow-Origin, -Credentials, -Expose-Headers', () => {
  const { status, fake, response } = run(routeWith(istio), 'GET', { origin: 'https://example.com' });
  assert.equal(status, FilterStatus.Continue);
  assert.equal(fake.reply, undefined);
  assert.deepEqual(response, { 'content-type': 'text/plain', 'access-control-allow-origin': 'https://example.com', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'X-Expose' });
  // An OPTIONS without Access-Control-Request-Method is not a preflight: it goes upstream, with CORS headers on its response.
  const plain = run(routeWith(istio), 'OPTIONS', { origin: 'https://example.com' });
  assert.equal(plain.status, FilterStatus.Continue);
  assert.equal(plain.response['access-control-allow-origin'], 'https://example.com');
});

test('cors: no Origin, a non-matching origin, or no policy → the request and its response are untouched', () => {
  for (const [route, headers] of [[routeWith(istio), {}], [routeWith(istio), { origin: 'https://evil.test' }], [routeWith(undefined), { origin: 'https://example.com' }]] as const) {
    const { status, response } = run(route, 'GET', headers);
    assert.equal(status, FilterStatus.Continue);
    assert.deepEqual(response, { 'content-type': 'text/plain' });
  }
});

test('cors: only local replies made after the filter get its headers (Envoy encoder order)', () => {
  const fake = fakeStream(routeWith(istio), vh, 'GET', { origin: 'https://example.com' });
  new CorsFilter().decodeHeaders(fake.stub.info, fake.stub.callbacks);
  const before: MutableHeaders = {};
  encodeResponse(fake.stub, before, FILTER_INDEX - 1); // e.g. a fault abort (before CORS in istiod's order)
  assert.deepEqual(before, {});
  const after: MutableHeaders = {};
  encodeResponse(fake.stub, after, FILTER_INDEX + 1); // e.g. the router's 503
  assert.equal(after['access-control-allow-origin'], 'https://example.com');
});

test('cors: route policy first, then the virtual host\'s, field by field; "*" echoes the requested method/headers', () => {
  const vhPolicy: VirtualHost = { name: 'vh', domains: ['*'], typedPerFilterConfig: { [CORS]: { '@type': TypeUrl.CorsPolicy, allowOriginStringMatch: [{ exact: 'https://vh.test' }], allowMethods: '*', allowHeaders: '*', maxAge: '60' } } };
  const route = routeWith({ allowHeaders: 'X-Route' });
  const { fake } = run(route, 'OPTIONS', { origin: 'https://vh.test', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'x-a' }, vhPolicy);
  assert.deepEqual(fake.reply?.headers, { 'access-control-allow-origin': 'https://vh.test', 'access-control-allow-methods': 'PATCH', 'access-control-allow-headers': 'X-Route', 'access-control-max-age': '60' });
  // filterEnabled 0 % on the most specific policy disables the filter for the route.
  const off = routeWith({ ...istio, filterEnabled: { defaultValue: { numerator: 0 } } });
  assert.equal(run(off, 'OPTIONS', { origin: 'https://example.com', 'access-control-request-method': 'GET' }).status, FilterStatus.Continue);
});

test('cors: an invalid origin regex fails route compilation (the push is NACKed), not the request', () => {
  const rc = { name: 'rc', virtualHosts: [{ name: 'vh', domains: ['*'], routes: [routeWith({ allowOriginStringMatch: [{ safeRegex: { regex: '(' } }] })] }] };
  assert.throws(() => validateCorsPolicies(rc));
});
