/**
 * Istio's Bookinfo traffic-management tasks replayed against a sidecar's translated config: request
 * routing, traffic shifting, fault injection and request timeouts (istio.io tasks), plus host forms.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { translate } from '../translate/translate.js';
import { simulate } from './simulate.js';
import { BOOKINFO, BOOKINFO_DESTINATION_RULES, clusterOf, expectOk, nodeFor, resourcesFor, snapshotOf } from './testing/bookinfo-sim.js';

const vs = (host: string, body: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${host}}
spec:
  hosts: [${host}]
${body}`;
const allV1 = ['productpage', 'details', 'reviews', 'ratings']
  .map((h) => vs(h, `  http:\n  - route:\n    - destination: {host: ${h}, subset: v1}\n`))
  .join('---\n');
const base = `${BOOKINFO}---\n${BOOKINFO_DESTINATION_RULES}`;
const reviews = (d: string) => `outbound|9080|${d}|reviews.default.svc.cluster.local`;
const ratings = (d: string) => `outbound|9080|${d}|ratings.default.svc.cluster.local`;

describe('request routing', () => {
  test('without VirtualServices every service gets its default route to outbound|port||host', () => {
    const res = resourcesFor(snapshotOf(base), 'productpage-v1');
    const r = expectOk(res, { destination: 'reviews:9080', path: '/reviews/0' });
    assert.equal(clusterOf(r), reviews(''));
    assert.equal(r.listener, '0.0.0.0_9080');
    assert.equal(r.routeConfig, '9080');
    assert.equal(r.virtualHost, 'reviews.default.svc.cluster.local:9080');
    assert.equal(r.route?.name, 'default');
    assert.equal(r.origin, undefined);
    assert.equal(r.timeoutMs, 0);
    assert.equal(r.retryPolicy?.numRetries?.value, 2);
    assert.equal(r.retryPolicy?.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    // Istio 1.24+: EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY (default true) leaves 503 out of the default.
    assert.equal(r.retryPolicy?.retriableStatusCodes, undefined);
    assert.equal(r.retryPolicy?.hostSelectionRetryMaxAttempts, 5);
    assert.equal(r.retryPolicy?.retryHostPredicate?.[0]?.name, 'envoy.retry_host_predicates.previous_hosts');
  });

  test('all traffic to v1', () => {
    const res = resourcesFor(snapshotOf(`${base}---\n${allV1}`), 'productpage-v1');
    for (const user of [undefined, 'jason']) {
      const r = expectOk(res, { destination: 'reviews:9080', path: '/reviews/0', headers: user ? { 'end-user': user } : {} });
      assert.equal(clusterOf(r), reviews('v1'));
      assert.deepEqual(r.origin, { virtualService: 'default/reviews', rule: 0, match: -1 });
    }
    assert.equal(clusterOf(expectOk(res, { destination: 'details:9080' })), 'outbound|9080|v1|details.default.svc.cluster.local');
  });

  test('end-user: jason goes to reviews v2, everyone else to v1', () => {
    const jason = vs('reviews', `  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
`);
    const res = resourcesFor(snapshotOf(`${base}---\n${jason}`), 'productpage-v1');
    const j = expectOk(res, { destination: 'reviews:9080', headers: { 'end-user': 'jason' } });
    assert.equal(clusterOf(j), reviews('v2'));
    assert.deepEqual(j.origin, { virtualService: 'default/reviews', rule: 0, match: 0 });
    assert.equal(clusterOf(expectOk(res, { destination: 'reviews:9080', headers: { 'end-user': 'mike' } })), reviews('v1'));
    const anon = expectOk(res, { destination: 'reviews:9080' });
    assert.equal(clusterOf(anon), reviews('v1'));
    assert.deepEqual(anon.origin, { virtualService: 'default/reviews', rule: 1, match: -1 });
  });
});

describe('traffic shifting', () => {
  for (const [a, b] of [[90, 10], [50, 50]] as const) {
    test(`${a}/${b} between v1 and v3`, () => {
      const shift = vs('reviews', `  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${a}
    - destination: {host: reviews, subset: v3}
      weight: ${b}
`);
      const res = resourcesFor(snapshotOf(`${base}---\n${shift}`), 'productpage-v1');
      const r = expectOk(res, { destination: 'reviews:9080' });
      assert.ok(r.action.kind === 'route');
      assert.deepEqual(r.action.clusters, [
        { name: reviews('v1'), weight: a, share: a / 100 },
        { name: reviews('v3'), weight: b, share: b / 100 },
      ]);
    });
  }

  test('100 % to v3 with a weight-0 destination kept out', () => {
    const shift = vs('reviews', `  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 0
    - destination: {host: reviews, subset: v3}
      weight: 100
`);
    const r = expectOk(resourcesFor(snapshotOf(`${base}---\n${shift}`), 'productpage-v1'), { destination: 'reviews:9080' });
    assert.ok(r.action.kind === 'route');
    assert.deepEqual(r.action.clusters, [{ name: reviews('v3'), weight: 100, share: 1 }]);
  });
});

describe('fault injection', () => {
  const fault = (f: string) =>
    vs('ratings', `  http:
  - match:
    - headers:
        end-user: {exact: jason}
    fault:
${f}
    route:
    - destination: {host: ratings, subset: v1}
  - route:
    - destination: {host: ratings, subset: v1}
`);

  test('7 s delay for jason; the rule keeps the default retries (istiod route.go)', () => {
    const res = resourcesFor(
      snapshotOf(`${base}---\n${fault('      delay:\n        percentage: {value: 100.0}\n        fixedDelay: 7s')}`),
      'reviews-v2',
    );
    const j = expectOk(res, { destination: 'ratings:9080', path: '/ratings/0', headers: { 'end-user': 'jason' } });
    assert.equal(clusterOf(j), ratings('v1'));
    assert.deepEqual(j.fault, { delay: { fixedDelay: { seconds: 7, nanos: 0 }, percentage: { numerator: 1_000_000, denominator: 'MILLION' } } });
    assert.equal(j.retryPolicy?.numRetries?.value, 2);
    assert.equal(j.timeoutMs, 0);
    const other = expectOk(res, { destination: 'ratings:9080', path: '/ratings/0' });
    assert.equal(other.fault, undefined);
    assert.equal(other.retryPolicy?.numRetries?.value, 2);
  });

  test('HTTP 500 abort for jason', () => {
    const res = resourcesFor(snapshotOf(`${base}---\n${fault('      abort:\n        percentage: {value: 100.0}\n        httpStatus: 500')}`), 'reviews-v2');
    const j = expectOk(res, { destination: 'ratings:9080', headers: { 'end-user': 'jason' } });
    assert.deepEqual(j.fault, { abort: { httpStatus: 500, percentage: { numerator: 1_000_000, denominator: 'MILLION' } } });
    assert.equal(j.retryPolicy?.numRetries?.value, 2);
  });

  test('the deprecated delay.percent still works and an unset percentage injects nothing', () => {
    const res = resourcesFor(snapshotOf(`${base}---\n${fault('      delay:\n        percent: 50\n        fixedDelay: 1s')}`), 'reviews-v2');
    const j = expectOk(res, { destination: 'ratings:9080', headers: { 'end-user': 'jason' } });
    assert.deepEqual(j.fault?.delay?.percentage, { numerator: 500_000, denominator: 'MILLION' });
    const res2 = resourcesFor(snapshotOf(`${base}---\n${fault('      delay:\n        fixedDelay: 1s')}`), 'reviews-v2');
    const j2 = expectOk(res2, { destination: 'ratings:9080', headers: { 'end-user': 'jason' } });
    assert.equal(j2.fault?.delay?.percentage?.numerator ?? 0, 0);
  });
});

describe('request timeouts and retries', () => {
  test('reviews timeout: 0.5s', () => {
    const t = vs('reviews', `  http:
  - route:
    - destination: {host: reviews, subset: v2}
    timeout: 0.5s
`);
    const r = expectOk(resourcesFor(snapshotOf(`${base}---\n${t}`), 'productpage-v1'), { destination: 'reviews:9080' });
    assert.equal(r.timeoutMs, 500);
    assert.equal(clusterOf(r), reviews('v2'));
  });

  test('retries: attempts, perTryTimeout, retryOn codes, attempts 0 disables', () => {
    const t = vs('reviews', `  http:
  - match: [{uri: {prefix: /a}}]
    route:
    - destination: {host: reviews}
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,connect-failure,503", retryRemoteLocalities: true, backoff: 50ms}
  - match: [{uri: {prefix: /b}}]
    route:
    - destination: {host: reviews}
    retries: {attempts: 0}
`);
    const res = resourcesFor(snapshotOf(`${base}---\n${t}`), 'productpage-v1');
    const a = expectOk(res, { destination: 'reviews:9080', path: '/a' });
    assert.equal(a.retryPolicy?.numRetries?.value, 3);
    assert.deepEqual(a.retryPolicy?.perTryTimeout, { seconds: 2, nanos: 0 });
    assert.equal(a.retryPolicy?.retryOn, 'gateway-error,connect-failure,retriable-status-codes');
    assert.deepEqual(a.retryPolicy?.retriableStatusCodes, [503]);
    assert.equal(a.retryPolicy?.retryPriority?.name, 'envoy.retry_priorities.previous_priorities');
    assert.deepEqual(a.retryPolicy?.retryBackOff, { baseInterval: { seconds: 0, nanos: 50_000_000 } });
    assert.equal(expectOk(res, { destination: 'reviews:9080', path: '/b' }).retryPolicy, undefined);
  });
});

describe('host forms', () => {
  const res = () => resourcesFor(snapshotOf(`${base}---\n${allV1}`), 'productpage-v1');
  for (const host of ['reviews', 'reviews:9080', 'reviews.default', 'reviews.default:9080', 'reviews.default.svc', 'reviews.default.svc:9080',
    'reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', '10.0.0.12', '10.0.0.12:9080', 'REVIEWS:9080']) {
    test(`Host ${host} reaches reviews`, () => {
      const r = expectOk(res(), { destination: 'reviews:9080', authority: host });
      assert.equal(r.virtualHost, 'reviews.default.svc.cluster.local:9080');
      assert.equal(clusterOf(r), reviews('v1'));
    });
  }

  test('a proxy in another namespace does not get the short name', () => {
    const yaml = `${base}---\n${allV1}---\napiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: other}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec: {containers: [{name: sleep, image: sleep, command: [sleep, infinity]}]}
`;
    const snap = snapshotOf(yaml);
    const res = translate(snap, nodeFor(snap, 'sleep', 'other'));
    assert.equal(clusterOf(expectOk(res, { destination: 'reviews.default:9080' })), reviews('v1'));
    const r = simulate(res, { destination: 'reviews:9080' });
    assert.ok(r.ok, 'falls to allow_any');
    assert.equal(r.virtualHost, 'allow_any');
    assert.equal(clusterOf(r), 'PassthroughCluster');
  });
});

describe('consistent hashing from the DestinationRule', () => {
  test('hash policy on VirtualService and default routes; retries stay on the hashed host', () => {
    const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-hash}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
  subsets:
  - name: v2
    labels: {version: v2}
    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
`;
    const route = vs('reviews', `  http:
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews}}]
`);
    const withVs = resourcesFor(snapshotOf(`${BOOKINFO}---\n${dr}---\n${route}`), 'productpage-v1');
    const a = expectOk(withVs, { destination: 'reviews:9080', path: '/v2' });
    assert.deepEqual(a.hashPolicy, [{ connectionProperties: { sourceIp: true } }]);
    assert.equal(a.retryPolicy?.retryHostPredicate, undefined);
    assert.deepEqual(expectOk(withVs, { destination: 'reviews:9080' }).hashPolicy, [{ header: { headerName: 'x-user' } }]);
    const noVs = resourcesFor(snapshotOf(`${BOOKINFO}---\n${dr}`), 'productpage-v1');
    const d = expectOk(noVs, { destination: 'reviews:9080' });
    assert.deepEqual([d.route?.name, d.hashPolicy], ['default', [{ header: { headerName: 'x-user' } }]]);
    assert.equal(expectOk(noVs, { destination: 'ratings:9080' }).hashPolicy, undefined);
  });
});
