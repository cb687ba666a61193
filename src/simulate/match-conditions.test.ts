/**
 * Every HTTPMatchRequest condition and route action of a VirtualService, replayed through a sidecar:
 * uri/method/authority/scheme/headers/query/withoutHeaders/ignoreUriCase/regex, first match wins,
 * source labels and namespaces, redirect, rewrite, direct response, mirroring, header operations
 * and CORS.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './simulate.js';
import { BOOKINFO, BOOKINFO_DESTINATION_RULES, clusterOf, expectOk, resourcesFor, snapshotOf } from './testing/bookinfo-sim.js';

const HTTPBIN = `apiVersion: v1
kind: Service
metadata: {name: httpbin, labels: {app: httpbin}}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin-v1}
spec:
  selector: {matchLabels: {app: httpbin, version: v1}}
  template:
    metadata: {labels: {app: httpbin, version: v1}}
    spec: {containers: [{name: httpbin, image: httpbin, command: [httpbin], ports: [{containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin-v2}
spec:
  selector: {matchLabels: {app: httpbin, version: v2}}
  template:
    metadata: {labels: {app: httpbin, version: v2}}
    spec: {containers: [{name: httpbin, image: httpbin, command: [httpbin], ports: [{containerPort: 80}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const httpbinVs = (http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
${http}`;
const v = (s: string) => `outbound|8000|${s}|httpbin.default.svc.cluster.local`;
const resFor = (http: string, from = 'productpage-v1') =>
  resourcesFor(snapshotOf(`${BOOKINFO}---\n${BOOKINFO_DESTINATION_RULES}---\n${HTTPBIN}---\n${httpbinVs(http)}`), from);
const to = (subset: string) => `    route:\n    - destination: {host: httpbin, subset: ${subset}}\n`;

describe('match conditions', () => {
  const res = resFor(`  - match: [{uri: {exact: /exact}}]
${to('v1')}  - match: [{uri: {prefix: /pre}, ignoreUriCase: true}]
${to('v2')}  - match: [{uri: {regex: '/re/[0-9]+'}}]
${to('v1')}  - match: [{method: {exact: POST}, uri: {prefix: /m}}]
${to('v2')}  - match: [{authority: {prefix: httpbin.default}}]
${to('v2')}  - match: [{headers: {x-present: {}}}]
${to('v2')}  - match: [{headers: {x-ver: {regex: 'v[2-3]'}}}]
${to('v2')}  - match: [{queryParams: {debug: {exact: "1"}}}]
${to('v2')}  - match: [{withoutHeaders: {x-keep: {exact: yes}}, uri: {prefix: /wh}}]
${to('v2')}  - match: [{uri: {prefix: /or-a}}, {uri: {prefix: /or-b}}]
${to('v2')}  - match: [{uri: {prefix: /s}, scheme: {exact: https}}]
${to('v2')}  - route:
    - destination: {host: httpbin, subset: v1}
`);
  const go = (req: Parameters<typeof simulate>[1]) => clusterOf(expectOk(res, { destination: 'httpbin:8000', ...req }));

  test('uri exact / prefix (ignoreUriCase) / regex (full match)', () => {
    assert.equal(go({ path: '/exact' }), v('v1'));
    assert.equal(go({ path: '/PREFIX/x' }), v('v2'));
    assert.equal(go({ path: '/re/123' }), v('v1'));
    assert.equal(go({ path: '/re/123x' }), v('v1')); // falls to the default, which is v1 too
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/re/123x' }).origin?.rule, 11);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/re/123?q=1' }).origin?.rule, 2);
  });

  test('method, authority, scheme', () => {
    assert.equal(go({ path: '/m', method: 'POST' }), v('v2'));
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/m', method: 'GET' }).origin?.rule, 11);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', authority: 'httpbin.default:8000' }).origin?.rule, 4);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', authority: 'httpbin:8000' }).origin?.rule, 11);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/s', scheme: 'https' }).origin?.rule, 10);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/s' }).origin?.rule, 11);
  });

  test('headers: empty value means presence; regex; query params; withoutHeaders', () => {
    assert.equal(expectOk(res, { destination: 'httpbin:8000', headers: { 'x-present': '' } }).origin?.rule, 5);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', headers: { 'x-ver': 'v3' } }).origin?.rule, 6);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', headers: { 'x-ver': 'v33' } }).origin?.rule, 11);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/q?debug=1' }).origin?.rule, 7);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/q?debug=2' }).origin?.rule, 11);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/wh' }).origin?.rule, 8);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/wh', headers: { 'x-keep': 'no' } }).origin?.rule, 8);
    assert.equal(expectOk(res, { destination: 'httpbin:8000', path: '/wh', headers: { 'x-keep': 'yes' } }).origin?.rule, 11);
  });

  test('match blocks OR, conditions inside one block AND', () => {
    const a = expectOk(res, { destination: 'httpbin:8000', path: '/or-a' });
    const b = expectOk(res, { destination: 'httpbin:8000', path: '/or-b' });
    assert.deepEqual([a.origin?.rule, a.origin?.match, b.origin?.rule, b.origin?.match], [9, 0, 9, 1]);
  });
});

describe('first match wins', () => {
  test('rules after a catch-all are unreachable and not translated', () => {
    const res = resFor(`  - match: [{uri: {prefix: /}}]
${to('v1')}  - match: [{headers: {end-user: {exact: jason}}}]
${to('v2')}`);
    const r = expectOk(res, { destination: 'httpbin:8000', headers: { 'end-user': 'jason' } });
    assert.equal(clusterOf(r), v('v1'));
    const rc = res.routes.find((x) => x.name === '8000')!;
    const vh = rc.virtualHosts!.find((x) => x.name === 'httpbin.default.svc.cluster.local:8000')!;
    assert.equal(vh.routes!.length, 1);
  });

  test('an earlier broader match shadows a later narrower one', () => {
    const res = resFor(`  - match: [{uri: {prefix: /status}}]
${to('v1')}  - match: [{uri: {exact: /status/418}}]
${to('v2')}`);
    assert.equal(clusterOf(expectOk(res, { destination: 'httpbin:8000', path: '/status/418' })), v('v1'));
    const r = simulate(res, { destination: 'httpbin:8000', path: '/other' });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error, 'no-route');
  });
});

describe('source conditions are evaluated at translation time', () => {
  const http = `  - match: [{sourceLabels: {app: productpage}}]
${to('v2')}  - match: [{sourceNamespace: other}]
${to('v1')}  - route:
    - destination: {host: httpbin, subset: v1}
      weight: 50
    - destination: {host: httpbin, subset: v2}
      weight: 50
`;
  test('sourceLabels matches the productpage sidecar only', () => {
    assert.equal(clusterOf(expectOk(resFor(http, 'productpage-v1'), { destination: 'httpbin:8000' })), v('v2'));
    const r = expectOk(resFor(http, 'reviews-v1'), { destination: 'httpbin:8000' });
    assert.equal(r.origin?.rule, 2);
    const vh = resFor(http, 'reviews-v1').routes.find((x) => x.name === '8000')!.virtualHosts!.find((x) => x.name?.startsWith('httpbin'))!;
    assert.equal(vh.routes!.length, 1, 'the non-matching sourceLabels and sourceNamespace routes are dropped');
  });

  test('sourceNamespace matches proxies of that namespace', () => {
    const other = `apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: other}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec: {containers: [{name: sleep, image: sleep, command: [sleep, infinity]}]}
`;
    const snap = snapshotOf(`${BOOKINFO}---\n${BOOKINFO_DESTINATION_RULES}---\n${HTTPBIN}---\n${httpbinVs(http)}---\n${other}`);
    const r = expectOk(resourcesFor(snap, 'sleep', 'other'), { destination: 'httpbin.default:8000' });
    assert.deepEqual([r.origin?.rule, clusterOf(r)], [1, v('v1')]);
  });
});

describe('route actions', () => {
  test('redirect with authority, uri, code and derived port', () => {
    const res = resFor(`  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, authority: newhost, redirectCode: 302}
  - match: [{uri: {prefix: /port}}]
    redirect: {uri: /p, derivePort: FROM_REQUEST_PORT, scheme: https}
`);
    const r = expectOk(res, { destination: 'httpbin:8000', path: '/old/x?a=1' });
    assert.deepEqual(r.action, { kind: 'redirect', status: 302, location: 'http://newhost/new?a=1' });
    const p = expectOk(res, { destination: 'httpbin:8000', path: '/port' });
    assert.deepEqual(p.action, { kind: 'redirect', status: 301, location: 'https://httpbin:8000/p' });
  });

  test('rewrite: uri prefix, regex, authority', () => {
    const res = resFor(`  - match: [{uri: {prefix: /api/v1}}]
    rewrite: {uri: /v2, authority: backend.internal}
${to('v1')}  - match: [{uri: {prefix: /re}}]
    rewrite: {uriRegexRewrite: {match: '^/re/(.*)$', rewrite: '/x/\\1'}}
${to('v1')}`);
    const a = expectOk(res, { destination: 'httpbin:8000', path: '/api/v1/items?x=1' });
    assert.deepEqual(a.rewrite, { path: '/v2/items?x=1', authority: 'backend.internal' });
    const b = expectOk(res, { destination: 'httpbin:8000', path: '/re/abc' });
    assert.deepEqual(b.rewrite, { path: '/x/abc' });
  });

  test('directResponse with a body', () => {
    const res = resFor(`  - match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
`);
    assert.deepEqual(expectOk(res, { destination: 'httpbin:8000', path: '/teapot' }).action, { kind: 'direct-response', status: 418, body: 'short and stout' });
  });

  test('mirror to v2: 100 % when mirrorPercentage is absent, else as given', () => {
    const all = resFor(`  - route:
    - destination: {host: httpbin, subset: v1}
      weight: 100
    mirror: {host: httpbin, subset: v2}
`);
    const r = expectOk(all, { destination: 'httpbin:8000', path: '/headers' });
    assert.equal(clusterOf(r), v('v1'));
    assert.deepEqual(r.mirrors, [{ cluster: v('v2'), percent: 100 }]);
    const half = resFor(`  - route:
    - destination: {host: httpbin, subset: v1}
    mirror: {host: httpbin, subset: v2}
    mirrorPercentage: {value: 50.0}
`);
    assert.deepEqual(expectOk(half, { destination: 'httpbin:8000' }).mirrors, [{ cluster: v('v2'), percent: 50 }]);
    const zero = resFor(`  - route:
    - destination: {host: httpbin, subset: v1}
    mirror: {host: httpbin, subset: v2}
    mirrorPercentage: {value: 0}
`);
    assert.equal(expectOk(zero, { destination: 'httpbin:8000' }).mirrors, undefined);
    const many = resFor(`  - route:
    - destination: {host: httpbin, subset: v1}
    mirrors:
    - destination: {host: httpbin, subset: v2}
      percentage: {value: 25}
    - destination: {host: reviews}
`);
    assert.deepEqual(expectOk(many, { destination: 'httpbin:8000' }).mirrors, [
      { cluster: v('v2'), percent: 25 },
      { cluster: 'outbound|9080||reviews.default.svc.cluster.local', percent: 100 },
    ]);
  });

  test('header operations at route and destination level', () => {
    const res = resFor(`  - headers:
      request: {set: {x-a: "1"}, add: {x-b: "2"}, remove: [x-c]}
    route:
    - destination: {host: httpbin, subset: v1}
      headers:
        request: {set: {x-d: "4"}}
`);
    const r = expectOk(res, { destination: 'httpbin:8000' });
    assert.deepEqual(r.requestHeadersToAdd, [
      { header: { key: 'x-a', value: '1' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-b', value: '2' }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-d', value: '4' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ]);
    assert.deepEqual(r.requestHeadersToRemove, ['x-c']);
  });

  test('corsPolicy becomes the CORS filter per-route config', () => {
    const res = resFor(`  - corsPolicy:
      allowOrigins: [{exact: "https://example.com"}, {regex: "https://.*\\\\.example\\\\.org"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-a]
      maxAge: 24h
      allowCredentials: true
${to('v1')}`);
    const r = expectOk(res, { destination: 'httpbin:8000' });
    assert.deepEqual(r.cors, {
      forwardNotMatchingPreflights: { value: true },
      allowOriginStringMatch: [{ exact: 'https://example.com' }, { safeRegex: { regex: 'https://.*\\.example\\.org' } }],
      filterEnabled: { defaultValue: { numerator: 100 } },
      allowCredentials: { value: true },
      allowHeaders: 'x-a',
      allowMethods: 'GET,POST',
      maxAge: '86400',
    });
  });
});
