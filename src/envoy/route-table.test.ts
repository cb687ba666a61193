import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable, portStart, type RouteRequest, type RouteSelection } from './route-table.js';
import { EnvoyConfigError } from './errors.js';
import type { Route, RouteConfiguration, VirtualHost } from './types.js';
import { decodeResource, encodeResource } from '../xds/protos.js';
import { TypeUrl } from './type-url.js';

function req(authority: string | undefined, path = '/', over: Partial<RouteRequest> = {}): RouteRequest {
  return { authority, method: 'GET', path, scheme: 'http', headers: {}, ...over };
}

function vhName(sel: RouteSelection): string {
  return sel.kind === 'no-virtual-host' ? '<none>' : (sel.virtualHost.name ?? '');
}

function routeName(sel: RouteSelection): string {
  return sel.kind === 'route' ? (sel.route.name ?? '') : `<${sel.kind}>`;
}

const catchAll = (name: string): Route => ({ name, match: { prefix: '/' }, route: { cluster: name } });
const vh = (name: string, domains: string[], routes: Route[] = [catchAll(name)]): VirtualHost => ({ name, domains, routes });

const hosts: RouteConfiguration = {
  name: '8080',
  virtualHosts: [
    vh('exact', ['example.com', 'example.com:8080']),
    vh('suffix-long', ['*-bar.example.com']),
    vh('suffix-short', ['*.example.com']),
    vh('prefix', ['foo.*']),
    vh('prefix-long', ['foo.example.*']),
    vh('default', ['*']),
  ],
};

test('virtual hosts: exact, then longest suffix wildcard, then longest prefix wildcard, then *', () => {
  const t = compileRouteTable(hosts);
  const cases: [string | undefined, string][] = [
    ['example.com', 'exact'],
    ['EXAMPLE.Com', 'exact'],
    ['example.com:8080', 'exact'],
    ['baz-bar.example.com', 'suffix-long'],
    ['a.example.com', 'suffix-short'],
    ['a.b.example.com', 'suffix-short'],
    // The wildcard must cover at least one character.
    ['-bar.example.com', 'suffix-short'],
    // Suffix wildcards are tried before prefix wildcards.
    ['foo.example.com', 'suffix-short'],
    ['foo.example.org', 'prefix-long'],
    ['foo.bar', 'prefix'],
    ['other.org', 'default'],
    [undefined, '<none>'],
  ];
  for (const [authority, want] of cases) assert.equal(vhName(t.select(req(authority))), want, String(authority));
  assert.equal(t.findVirtualHost('a.example.com')?.index, 2);
  assert.equal(t.findVirtualHost(undefined), undefined);
});

test('the port is part of the host: no retry without it', () => {
  const t = compileRouteTable(hosts);
  assert.equal(vhName(t.select(req('example.com:9090'))), 'default');
  assert.equal(vhName(t.select(req('a.example.com:80'))), 'default');
  // A prefix wildcard covers the port.
  assert.equal(vhName(t.select(req('foo.bar:80'))), 'prefix');
  const noDefault = compileRouteTable({ virtualHosts: [vh('reviews', ['reviews', 'reviews.default.svc.cluster.local'])] });
  assert.equal(noDefault.select(req('reviews:9080')).kind, 'no-virtual-host');
  assert.equal(vhName(noDefault.select(req('reviews'))), 'reviews');
});

test('ignorePortInHostMatching strips the port (IPv6 literals kept whole)', () => {
  const t = compileRouteTable({ ...hosts, ignorePortInHostMatching: true, virtualHosts: [...hosts.virtualHosts!, vh('v6', ['[::1]'])] });
  assert.equal(vhName(t.select(req('a.example.com:80'))), 'suffix-short');
  assert.equal(vhName(t.select(req('example.com:1234'))), 'exact');
  assert.equal(vhName(t.select(req('[::1]:80'))), 'v6');
  assert.equal(vhName(t.select(req('[::1]'))), 'v6');
  assert.equal(portStart('[::1]'), -1);
  assert.equal(portStart('[::1]:80'), 5);
  assert.equal(portStart('h:80'), 1);
});

test('a configuration whose only domain is * serves requests without authority', () => {
  const t = compileRouteTable({ virtualHosts: [vh('all', ['*'])] });
  assert.equal(vhName(t.select(req(undefined))), 'all');
  assert.equal(vhName(t.select(req('anything:1'))), 'all');
});

test('duplicate domains and a second * are rejected', () => {
  assert.throws(() => compileRouteTable({ virtualHosts: [vh('a', ['x.com']), vh('b', ['X.com'])] }), (e: unknown) => e instanceof EnvoyConfigError && e.code === 'ENVOY_INVALID_ROUTE_CONFIG' && e.where === 'virtualHosts[1].domains');
  assert.throws(() => compileRouteTable({ virtualHosts: [vh('a', ['*']), vh('b', ['*'])] }), { code: 'ENVOY_INVALID_ROUTE_CONFIG' });
  assert.throws(() => compileRouteTable({ virtualHosts: [vh('a', ['*.x.com', '*.x.com'])] }), { code: 'ENVOY_INVALID_ROUTE_CONFIG' });
  assert.throws(() => compileRouteTable({ virtualHosts: [vh('a', ['*'], [{ name: 'r', match: {}, route: { cluster: 'c' } }])] }), { code: 'ENVOY_INVALID_ROUTE_CONFIG', where: 'virtualHosts[0].routes[0].match' });
});

const routes: Route[] = [
  { name: 'path', match: { path: '/exact' }, route: { cluster: 'c' } },
  { name: 'ci-prefix', match: { prefix: '/api/v1', caseSensitive: {} }, route: { cluster: 'c' } },
  { name: 'regex', match: { safeRegex: { regex: '/items/[0-9]+' } }, route: { cluster: 'c' } },
  { name: 'sep', match: { pathSeparatedPrefix: '/sep' }, route: { cluster: 'c' } },
  { name: 'hdr', match: { prefix: '/h', headers: [{ name: 'x-user', stringMatch: { exact: 'admin' } }] }, route: { cluster: 'c' } },
  { name: 'no-user', match: { prefix: '/h', headers: [{ name: 'x-user', presentMatch: true, invertMatch: true }] }, route: { cluster: 'c' } },
  { name: 'h', match: { prefix: '/h' }, route: { cluster: 'c' } },
  { name: 'query', match: { prefix: '/q', queryParameters: [{ name: 'debug', stringMatch: { exact: '1' } }] }, route: { cluster: 'c' } },
  { name: 'frac', match: { prefix: '/frac', runtimeFraction: { defaultValue: { numerator: 25 }, runtimeKey: 'k' } }, route: { cluster: 'c' } },
  { name: 'grpc', match: { prefix: '/pkg.Svc/', grpc: {} }, route: { cluster: 'c' } },
  { name: 'cs-prefix', match: { prefix: '/API/V1', caseSensitive: { value: true } }, route: { cluster: 'c' } },
  { name: 'last', match: { prefix: '/' }, route: { cluster: 'c' } },
];
const table = compileRouteTable({ virtualHosts: [{ name: 'vh', domains: ['*'], routes }] });
const pick = (path: string, over: Partial<RouteRequest> = {}) => routeName(table.select(req('svc', path, over)));

test('routes are tried in order; the first match wins', () => {
  const t = compileRouteTable({
    virtualHosts: [{ name: 'vh', domains: ['*'], routes: [catchAll('first'), { name: 'second', match: { path: '/a' }, route: { cluster: 'c' } }] }],
  });
  assert.equal(routeName(t.select(req('x', '/a'))), 'first');
  const sel = table.select(req('svc', '/exact'));
  assert.equal(sel.kind, 'route');
  if (sel.kind === 'route') assert.equal(sel.routeIndex, 0);
  // Results are preallocated: the same object for the same route.
  assert.equal(table.select(req('svc', '/exact')), sel);
});

test('path specifiers ignore the query and fragment', () => {
  assert.equal(pick('/exact'), 'path');
  assert.equal(pick('/exact?x=1'), 'path');
  assert.equal(pick('/exact#frag'), 'path');
  assert.equal(pick('/exact/'), 'last');
  assert.equal(pick('/EXACT'), 'last');
  assert.equal(pick('/API/V1/users'), 'ci-prefix');
  assert.equal(pick('/api/v1'), 'ci-prefix');
  assert.equal(pick('/api/v?1'), 'last');
  assert.equal(pick('/sep'), 'sep');
  assert.equal(pick('/sep/a'), 'sep');
  assert.equal(pick('/sep?x'), 'sep');
  assert.equal(pick('/separate'), 'last');
});

test('safeRegex paths must match fully', () => {
  assert.equal(pick('/items/42'), 'regex');
  assert.equal(pick('/items/42?sort=asc'), 'regex');
  assert.equal(pick('/items/42abc'), 'last');
  assert.equal(pick('/items/42/x'), 'last');
  assert.equal(pick('/v1/items/42'), 'last');
});

test('header conditions, inverted presence', () => {
  assert.equal(pick('/h', { headers: { 'x-user': 'admin' } }), 'hdr');
  assert.equal(pick('/h', { headers: { 'x-user': 'guest' } }), 'h');
  assert.equal(pick('/h', { headers: {} }), 'no-user');
});

test('query parameter conditions', () => {
  assert.equal(pick('/q?debug=1'), 'query');
  assert.equal(pick('/q?x=0&debug=1'), 'query');
  assert.equal(pick('/q?debug=1&debug=2'), 'query');
  assert.equal(pick('/q?debug=2&debug=1'), 'last');
  assert.equal(pick('/q?debug=%31'), 'last');
  assert.equal(pick('/q'), 'last');
});

test('runtime fractions use defaultValue against the request random', () => {
  assert.equal(pick('/frac', { random: 0 }), 'frac');
  assert.equal(pick('/frac', { random: 0.2499 }), 'frac');
  assert.equal(pick('/frac', { random: 0.25 }), 'last');
  assert.equal(pick('/frac', { random: 0.9 }), 'last');
  const million = compileRouteTable({
    virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ name: 'm', match: { prefix: '/', runtimeFraction: { defaultValue: { numerator: 1, denominator: 'MILLION' } } }, route: { cluster: 'c' } }] }],
  });
  assert.equal(million.select(req('x', '/', { random: 0.0000009 })).kind, 'route');
  assert.equal(million.select(req('x', '/', { random: 0.000001 })).kind, 'no-route');
});

test('grpc matches need a gRPC content-type; explicit caseSensitive true stays sensitive', () => {
  assert.equal(pick('/pkg.Svc/Call', { headers: { 'content-type': 'application/grpc' } }), 'grpc');
  assert.equal(pick('/pkg.Svc/Call', { headers: { 'content-type': 'application/grpc+proto' } }), 'grpc');
  assert.equal(pick('/pkg.Svc/Call', { headers: { 'content-type': 'application/grpcx' } }), 'last');
  assert.equal(pick('/pkg.Svc/Call'), 'last');
  assert.equal(pick('/api/V1x'), 'ci-prefix');
  assert.equal(pick('/API/v1x'), 'ci-prefix');
});

test('no route in a virtual host, path parameters, requireTls', () => {
  const t = compileRouteTable({
    ignorePathParametersInPathMatching: true,
    virtualHosts: [
      { name: 'a', domains: ['a'], routes: [{ name: 'only', match: { path: '/x' }, route: { cluster: 'c' } }] },
      { name: 'secure', domains: ['s'], requireTls: 'ALL', routes: [catchAll('s')] },
      { name: 'external', domains: ['e'], requireTls: 'EXTERNAL_ONLY', routes: [catchAll('e')] },
    ],
  });
  const none = t.select(req('a', '/y'));
  assert.equal(none.kind, 'no-route');
  assert.equal(vhName(none), 'a');
  assert.equal(routeName(t.select(req('a', '/x;jsessionid=1?q'))), 'only');
  assert.equal(t.select(req('s', '/')).kind, 'tls-redirect');
  assert.equal(routeName(t.select(req('s', '/', { scheme: 'https' }))), 's');
  assert.equal(t.select(req('e', '/')).kind, 'tls-redirect');
  assert.equal(routeName(t.select(req('e', '/', { headers: { 'x-envoy-internal': 'true' } }))), 'e');
});

test('a RouteConfiguration survives encode/decode and selects the same routes', () => {
  const config: RouteConfiguration = {
    name: '9080',
    validateClusters: { value: false },
    virtualHosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080'],
        routes: [
          {
            name: 'jason',
            match: { prefix: '/', headers: [{ name: 'end-user', stringMatch: { exact: 'jason' } }] },
            route: { cluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', timeout: {} },
            metadata: { filterMetadata: { istio: { fields: { config: { stringValue: '/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews' } } } } },
          },
          {
            name: 'ci',
            match: { prefix: '/Reviews', caseSensitive: { value: false } },
            route: { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local' },
          },
          {
            name: 'regex',
            match: { safeRegex: { regex: '/ratings/[0-9]+' }, queryParameters: [{ name: 'debug', presentMatch: true }] },
            route: { cluster: 'outbound|9080|v1|reviews.default.svc.cluster.local' },
          },
          {
            name: 'split',
            match: { prefix: '/' },
            route: {
              weightedClusters: {
                clusters: [
                  { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: { value: 0 } },
                  { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: { value: 100 } },
                ],
              },
              retryPolicy: { retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', numRetries: { value: 2 } },
            },
          },
        ],
      },
      { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: 'PassthroughCluster' } }] },
    ],
  };
  const decoded = decodeResource<RouteConfiguration>(TypeUrl.RouteConfiguration, encodeResource(TypeUrl.RouteConfiguration, config));
  // protobufjs writes explicit wrapper defaults, other encoders omit them ({}): both mean false / 0.
  assert.notEqual(decoded.virtualHosts![0]!.routes![1]!.match!.caseSensitive?.value, true);
  assert.equal(decoded.virtualHosts![0]!.routes![3]!.route!.weightedClusters!.clusters![0]!.weight?.value ?? 0, 0);
  assert.deepEqual(decoded.virtualHosts![0]!.routes![0]!.metadata, config.virtualHosts![0]!.routes![0]!.metadata);
  const before = compileRouteTable(config);
  const after = compileRouteTable(decoded);
  const requests: RouteRequest[] = [
    req('reviews:9080', '/', { headers: { 'end-user': 'jason' } }),
    req('reviews', '/reviews/1'),
    req('REVIEWS.default.svc.cluster.local:9080', '/REVIEWS'),
    req('reviews', '/ratings/7?debug'),
    req('reviews', '/ratings/7'),
    req('reviews:9081', '/'),
    req(undefined, '/'),
  ];
  for (const r of requests) {
    const a = before.select(r);
    const b = after.select(r);
    assert.equal(b.kind, a.kind);
    assert.equal(vhName(b), vhName(a));
    assert.equal(routeName(b), routeName(a));
  }
  assert.deepEqual(requests.map((r) => routeName(after.select(r))), ['jason', 'ci', 'ci', 'regex', 'split', 'allow_any', '<no-virtual-host>']);
});

test(
  'enum fields survive encode/decode (requireTls, fraction denominators)',
  () => {
    const config: RouteConfiguration = {
      virtualHosts: [{ name: 'v', domains: ['*'], requireTls: 'ALL', routes: [{ name: 'r', match: { prefix: '/', runtimeFraction: { defaultValue: { numerator: 5, denominator: 'TEN_THOUSAND' } } }, route: { cluster: 'c' } }] }],
    };
    const decoded = decodeResource<RouteConfiguration>(TypeUrl.RouteConfiguration, encodeResource(TypeUrl.RouteConfiguration, config));
    assert.equal(decoded.virtualHosts![0]!.requireTls, 'ALL');
    assert.equal(compileRouteTable(decoded).select(req('x', '/', { scheme: 'http' })).kind, 'tls-redirect');
  },
);
