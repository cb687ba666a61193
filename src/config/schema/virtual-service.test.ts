import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaIssue } from '../kind-info.js';
import { virtualServiceKind, type VirtualServiceSpec } from './virtual-service.js';

const meta = { name: 'x', namespace: 'default' };
const validate = (spec: unknown) => virtualServiceKind.validate(spec, meta);

/** Asserts the spec is accepted without errors and returns it normalized. */
function ok(spec: unknown): VirtualServiceSpec {
  const r = validate(spec);
  const errs = r.issues.filter((i) => i.level === 'Error');
  assert.deepEqual(errs, [], JSON.stringify(errs));
  assert.ok(r.spec);
  return r.spec;
}

/** Asserts an error at exactly `path` whose message contains `fragment`. */
function fails(spec: unknown, path: (string | number)[], fragment: string): void {
  const r = validate(spec);
  assert.equal(r.spec, undefined, 'expected the spec to be rejected');
  const hit = r.issues.find((i: SchemaIssue) => i.level === 'Error' && JSON.stringify(i.path) === JSON.stringify(path) && i.message.includes(fragment));
  assert.ok(hit, `no error at ${JSON.stringify(path)} containing "${fragment}"; got ${JSON.stringify(r.issues)}`);
}

const dest = (host: string, extra: object = {}) => ({ destination: { host, ...extra } });
const simple = (http: object) => ({ hosts: ['reviews'], http: [http] });

describe('VirtualService: Istio samples', () => {
  it('accepts Bookinfo virtual-service-reviews-test-v2.yaml', () => {
    ok({
      hosts: ['reviews'],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [dest('reviews', { subset: 'v2' })] },
        { route: [dest('reviews', { subset: 'v1' })] },
      ],
    });
  });
  it('accepts the ratings delay and abort fault examples', () => {
    ok({
      hosts: ['ratings'],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], fault: { delay: { percentage: { value: 100.0 }, fixedDelay: '7s' } }, route: [dest('ratings', { subset: 'v1' })] },
        { route: [dest('ratings', { subset: 'v1' })] },
      ],
    });
    ok({
      hosts: ['ratings'],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], fault: { abort: { percentage: { value: 100.0 }, httpStatus: 500 } }, route: [dest('ratings', { subset: 'v1' })] },
        { route: [dest('ratings', { subset: 'v1' })] },
      ],
    });
  });
  it('accepts the Bookinfo and httpbin gateway routes', () => {
    ok({
      hosts: ['*'],
      gateways: ['bookinfo-gateway'],
      http: [{
        match: [{ uri: { exact: '/productpage' } }, { uri: { prefix: '/static' } }, { uri: { exact: '/login' } }, { uri: { exact: '/logout' } }, { uri: { prefix: '/api/v1/products' } }],
        route: [dest('productpage', { port: { number: 9080 } })],
      }],
    });
    ok({
      hosts: ['httpbin.example.com'],
      gateways: ['httpbin-gateway'],
      http: [{ match: [{ uri: { prefix: '/status' } }, { uri: { prefix: '/delay' } }], route: [dest('httpbin', { port: { number: 8000 } })] }],
    });
  });
  it('accepts every less common field', () => {
    ok({
      hosts: ['reviews.default.svc.cluster.local'],
      gateways: ['mesh', 'istio-system/gw'],
      exportTo: ['.'],
      http: [{
        name: 'all',
        match: [{
          name: 'm', uri: { regex: '/a/[0-9]+' }, scheme: { exact: 'http' }, method: { exact: 'GET' }, authority: { prefix: 'rev' },
          headers: { 'x-a': {} }, withoutHeaders: { 'x-b': { regex: '*' } }, queryParams: { q: { exact: '1' } }, port: 9080,
          sourceLabels: { app: 'productpage' }, sourceNamespace: 'default', gateways: ['mesh'], ignoreUriCase: true, statPrefix: 'x',
        }],
        route: [{ ...dest('reviews', { subset: 'v1' }), weight: 75, headers: { request: { set: { 'x-v': '1' } } } }, { ...dest('reviews', { subset: 'v2' }), weight: 25 }],
        rewrite: { uriRegexRewrite: { match: '^/a/(.*)', rewrite: '/\\1' } },
        timeout: '10s',
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,503,reset-before-request', retryRemoteLocalities: true, retryIgnorePreviousHosts: true, backoff: '25ms' },
        mirrors: [{ destination: { host: 'reviews', subset: 'v3' }, percentage: { value: 10 } }],
        corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }, { regex: 'https://.*\\.b\\.example' }], allowMethods: ['GET', 'POST'], allowHeaders: ['x-a'], exposeHeaders: ['*'], maxAge: '24h', allowCredentials: true, unmatchedPreflights: 'IGNORE' },
        headers: { request: { add: { 'x-start': '%START_TIME%' }, remove: ['x-debug'] }, response: { set: { 'x-frame-options': 'DENY' } } },
      }, {
        redirect: { uri: '/v2', authority: 'b.example', derivePort: 'FROM_REQUEST_PORT', scheme: 'https', redirectCode: 308 },
        match: [{ uri: { prefix: '/old' } }],
      }, {
        match: [{ uri: { prefix: '/static' } }],
        directResponse: { status: 503, body: { string: 'unavailable' } },
      }],
      tcp: [{ match: [{ port: 27017, destinationSubnets: ['10.0.0.0/8'] }], route: [dest('mongo', { port: { number: 27017 } })] }],
    });
  });
});

describe('VirtualService: deprecated fields', () => {
  it('maps fault.delay.percent to percentage.value', () => {
    const r = validate(simple({ fault: { delay: { percent: 50, fixedDelay: '5s' } }, route: [dest('reviews')] }));
    assert.deepEqual(r.spec?.http?.[0]?.fault?.delay, { fixedDelay: '5s', percentage: { value: 50 } });
    const w = r.issues.find((i) => i.level === 'Warning');
    assert.deepEqual(w?.path, ['spec', 'http', 0, 'fault', 'delay', 'percent']);
    assert.match(w!.message, /Deprecated: field "spec\.http\[0\]\.fault\.delay\.percent" is deprecated; use percentage/);
  });
  it('maps mirrorPercent and mirror_percent to mirrorPercentage', () => {
    for (const key of ['mirrorPercent', 'mirror_percent']) {
      const r = validate(simple({ route: [dest('reviews')], mirror: { host: 'reviews', subset: 'v2' }, [key]: 30 }));
      assert.deepEqual(r.spec?.http?.[0]?.mirrorPercentage, { value: 30 });
      assert.equal((r.spec?.http?.[0] as Record<string, unknown>)[key], undefined);
      assert.ok(r.issues.some((i) => i.level === 'Warning' && i.path.join('.') === `spec.http.0.${key}`));
    }
    fails(simple({ route: [dest('reviews')], mirrorPercent: 150 }), ['spec', 'http', 0, 'mirrorPercent'], 'max value of 100');
  });
  it('maps corsPolicy.allowOrigin to exact allowOrigins, without touching the input', () => {
    const input = simple({ route: [dest('reviews')], corsPolicy: { allowOrigin: ['https://a.example'] } });
    const before = JSON.stringify(input);
    const r = validate(input);
    assert.deepEqual(r.spec?.http?.[0]?.corsPolicy, { allowOrigins: [{ exact: 'https://a.example' }] });
    assert.ok(r.issues.some((i) => i.level === 'Warning' && /allowOrigin/.test(i.message)));
    assert.equal(JSON.stringify(input), before);
  });
});

describe('VirtualService: webhook rules', () => {
  it('rejects unknown fields', () => fails(simple({ route: [dest('reviews')], retry: {} }), ['spec', 'http', 0, 'retry'], 'unknown field'));
  it('checks host names', () => {
    fails({ hosts: ['foo.*.com'], http: [{ route: [dest('a')] }] }, ['spec', 'hosts', 0], 'invalid');
    fails({ hosts: ['*'], http: [{ route: [dest('a')] }] }, ['spec', 'hosts', 0], 'not allowed for virtual services bound to the mesh');
    fails({ hosts: ['*.foo.com', 'a.foo.com'], http: [{ route: [dest('a')] }] }, ['spec', 'hosts', 1], 'duplicate hosts');
    ok({ hosts: ['10.1.2.3'], gateways: ['gw'], http: [{ route: [dest('a')] }] });
  });
  it('checks gateway references', () => {
    fails({ hosts: ['a'], gateways: ['ns/Bad_Name'], http: [{ route: [dest('a')] }] }, ['spec', 'gateways', 0], 'invalid value for gateway name');
    fails({ hosts: ['a'], gateways: ['/gw'], http: [{ route: [dest('a')] }] }, ['spec', 'gateways', 0], 'cannot be empty');
  });
  it('requires http, tcp or tls', () => fails({ hosts: ['a'] }, ['spec'], 'http, tcp or tls must be provided'));
  it('enforces one of route, redirect, directResponse, delegate', () => {
    fails(simple({ route: [dest('a')], redirect: { uri: '/x' } }), ['spec', 'http', 0, 'redirect'], 'both route and redirect');
    fails(simple({ directResponse: { status: 200 }, redirect: { uri: '/x' } }), ['spec', 'http', 0, 'directResponse'], 'both direct_response and redirect');
    fails(simple({ route: [dest('a')], directResponse: { status: 200 } }), ['spec', 'http', 0, 'directResponse'], 'both route and direct_response');
    fails(simple({ delegate: { name: 'd' }, route: [dest('a')] }), ['spec', 'http', 0, 'route'], 'must not specify route');
    fails(simple({ match: [{ uri: { prefix: '/' } }] }), ['spec', 'http', 0], 'HTTP route, redirect or direct_response is required');
    fails({ http: [{ delegate: { name: 'x' }, match: [{ uri: { prefix: '/a' } }] }] }, ['spec', 'http', 0, 'delegate'], 'cannot contain delegate');
    fails({ gateways: ['gw'], http: [{ route: [dest('a')] }] }, ['spec', 'gateways'], 'delegate virtual service must have no gateways');
  });
  it('enforces StringMatch oneof, empty prefixes and RE2 regexes', () => {
    fails(simple({ match: [{ uri: { exact: '/a', prefix: '/b' } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'uri'], 'only one of exact, prefix or regex');
    fails(simple({ match: [{ method: { prefix: '' } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'method', 'prefix'], 'should not be empty');
    ok(simple({ match: [{ uri: { prefix: '' } }], route: [dest('a')] }));
    fails(simple({ match: [{ uri: { regex: '(?<=a)b' } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'uri', 'regex'], 'RE2');
    fails(simple({ match: [{ headers: { 'x-a': { regex: '' } } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'headers', 'x-a', 'regex'], 'should not be empty');
  });
  it('checks header match names and JWT claim routes', () => {
    fails(simple({ match: [{ headers: { 'bad header': { exact: 'a' } } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'headers', 'bad header'], 'not a valid header name');
    fails(simple({ match: [{ headers: { '@request.auth.claims.group': { exact: 'a' } } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'headers', '@request.auth.claims.group'], 'only supported for gateway');
    // istiod's ToRoutingClaim also accepts the bracket form (and then only on gateways).
    fails(simple({ match: [{ withoutHeaders: { '@request.auth.claims[group][id]': { exact: 'a' } } }], route: [dest('a')] }), ['spec', 'http', 0, 'match', 0, 'withoutHeaders', '@request.auth.claims[group][id]'], 'only supported for gateway');
    ok({ hosts: ['a.example.com'], gateways: ['gw'], http: [{ match: [{ headers: { '@request.auth.claims[group]': { exact: 'a' } } }], route: [dest('a')] }] });
  });
  it('checks weights', () => {
    fails(simple({ route: [{ ...dest('a'), weight: -1 }] }), ['spec', 'http', 0, 'route', 0, 'weight'], 'weight -1 < 0');
    fails(simple({ route: [{ ...dest('a'), weight: 0 }, { ...dest('b'), weight: 0 }] }), ['spec', 'http', 0, 'route'], 'total destination weight = 0');
    ok(simple({ route: [{ ...dest('a'), weight: 10 }, { ...dest('b'), weight: 20 }] }));
  });
  it('checks destinations', () => {
    fails(simple({ route: [dest('*')] }), ['spec', 'http', 0, 'route', 0, 'destination', 'host'], 'invalid destination host');
    fails(simple({ route: [dest('a', { subset: 'V_1' })] }), ['spec', 'http', 0, 'route', 0, 'destination', 'subset'], 'subset name is invalid');
    fails(simple({ route: [dest('a', { port: { number: 70000 } })] }), ['spec', 'http', 0, 'route', 0, 'destination', 'port', 'number'], 'must be in the range 1..65535');
  });
  it('checks durations', () => {
    fails(simple({ route: [dest('a')], timeout: '0s' }), ['spec', 'http', 0, 'timeout'], 'greater than 1ms');
    fails(simple({ route: [dest('a')], timeout: '1.5ms' }), ['spec', 'http', 0, 'timeout'], 'ms precision');
    fails(simple({ route: [dest('a')], retries: { attempts: 1, perTryTimeout: '500us' } }), ['spec', 'http', 0, 'retries', 'perTryTimeout'], 'greater than 1ms');
    fails(simple({ route: [dest('a')], fault: { delay: { fixedDelay: '0s', percentage: { value: 1 } } } }), ['spec', 'http', 0, 'fault', 'delay', 'fixedDelay'], 'greater than 1ms');
  });
  it('checks retries', () => {
    fails(simple({ route: [dest('a')], retries: { attempts: 2, retryOn: '5xx,bogus' } }), ['spec', 'http', 0, 'retries', 'retryOn'], '"bogus" is not a valid retryOn policy');
    fails(simple({ route: [dest('a')], retries: { retryOn: '5xx' } }), ['spec', 'http', 0, 'retries'], 'attempts are set to 0');
    fails(simple({ route: [dest('a')], retries: { attempts: -1 } }), ['spec', 'http', 0, 'retries', 'attempts'], 'cannot be negative');
  });
  it('checks faults', () => {
    fails(simple({ route: [dest('a')], fault: {} }), ['spec', 'http', 0, 'fault'], 'must have an abort and/or a delay');
    fails(simple({ route: [dest('a')], fault: { abort: { httpStatus: 700 } } }), ['spec', 'http', 0, 'fault', 'abort', 'httpStatus'], 'not in range 200-599');
    fails(simple({ route: [dest('a')], fault: { abort: { grpcStatus: 'NOPE' } } }), ['spec', 'http', 0, 'fault', 'abort', 'grpcStatus'], 'not supported');
    fails(simple({ route: [dest('a')], fault: { abort: { httpStatus: 500, grpcStatus: 'INTERNAL' } } }), ['spec', 'http', 0, 'fault', 'abort'], 'only one of httpStatus');
    fails(simple({ route: [dest('a')], fault: { abort: { httpStatus: 500, percentage: { value: 0.00001 } } } }), ['spec', 'http', 0, 'fault', 'abort', 'percentage'], 'neither 0.0');
  });
  it('checks redirects and rewrites', () => {
    fails(simple({ redirect: { uri: '/a', redirectCode: 200 } }), ['spec', 'http', 0, 'redirect', 'redirectCode'], 'must be 3xx');
    fails(simple({ redirect: {} }), ['spec', 'http', 0, 'redirect'], 'must specify URI, authority, scheme, or port');
    fails(simple({ redirect: { scheme: 'ftp' } }), ['spec', 'http', 0, 'redirect', 'scheme'], 'must be "http" or "https"');
    fails(simple({ redirect: { port: 8080, derivePort: 'FROM_REQUEST_PORT' } }), ['spec', 'http', 0, 'redirect'], 'only one of port or derivePort');
    fails(simple({ route: [dest('a')], rewrite: { uri: '/a', uriRegexRewrite: { match: 'a', rewrite: 'b' } } }), ['spec', 'http', 0, 'rewrite'], 'only contain one of URI or UriRegexRewrite');
    fails(simple({ route: [dest('a')], rewrite: { authority: 'x' }, headers: { request: { set: { host: 'y' } } } }), ['spec', 'http', 0, 'headers', 'request', 'set', 'host'], 'authority header cannot be set multiple times');
  });
  it('checks header operations and CORS', () => {
    fails(simple({ route: [dest('a')], headers: { response: { set: { host: 'x' } } } }), ['spec', 'http', 0, 'headers', 'response', 'set', 'host'], 'cannot set Host header');
    fails(simple({ route: [dest('a')], headers: { request: { add: { 'x-a': '50%' } } } }), ['spec', 'http', 0, 'headers', 'request', 'add', 'x-a'], 'single % not allowed');
    fails(simple({ route: [dest('a')], corsPolicy: { allowMethods: ['FETCH'] } }), ['spec', 'http', 0, 'corsPolicy', 'allowMethods', 0], 'not a supported HTTP method');
    fails(simple({ route: [dest('a')], corsPolicy: { maxAge: '1500ms' } }), ['spec', 'http', 0, 'corsPolicy', 'maxAge'], 'seconds precision');
  });
  it('checks exportTo', () => {
    fails({ ...simple({ route: [dest('a')] }), exportTo: ['~'] }, ['spec', 'exportTo', 0], 'not allowed');
    fails({ ...simple({ route: [dest('a')] }), exportTo: ['.', 'default'] }, ['spec', 'exportTo', 1], 'duplicate entries');
    fails({ ...simple({ route: [dest('a')] }), exportTo: ['*', 'foo'] }, ['spec', 'exportTo'], 'cannot have both public (*)');
  });
  it('checks tcp and tls routes', () => {
    fails({ hosts: ['a.example.com'], tls: [{ route: [dest('a')] }] }, ['spec', 'tls', 0, 'match'], 'at least one match');
    fails({ hosts: ['a.example.com'], tls: [{ match: [{ sniHosts: ['b.example.com'] }], route: [dest('a')] }] }, ['spec', 'tls', 0, 'match', 0, 'sniHosts', 0], 'not a compatible subset');
    fails({ hosts: ['a'], tcp: [{ match: [{ destinationSubnets: ['10.0.0.0/33'] }], route: [dest('a')] }] }, ['spec', 'tcp', 0, 'match', 0, 'destinationSubnets', 0], 'not a valid CIDR');
    fails({ hosts: ['a'], tcp: [{}] }, ['spec', 'tcp', 0, 'route'], 'TCP route is required');
  });
  it('warns about unreachable rules', () => {
    const r = validate({ hosts: ['a'], http: [{ route: [dest('a')] }, { route: [dest('b')] }] });
    assert.ok(r.spec);
    assert.ok(r.issues.some((i) => i.code === 'IST0130' && i.path.join('.') === 'spec.http.1'));
  });
});
