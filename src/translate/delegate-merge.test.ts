/**
 * VirtualService delegation as istiod merges it (virtualservice.go mergeHTTPRoute / hasConflict),
 * seen through the translated routes of an ingress gateway: delegated prefixes, inherited root
 * fields, a conflicting delegate rule dropped, exportTo honoured, short hosts resolved in the
 * delegate's namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../simulate/simulate.js';
import { BOOKINFO, clusterOf, expectOk, resourcesFor, snapshotOf } from '../simulate/testing/bookinfo-sim.js';

const ROOT = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - name: pp
    match: [{uri: {prefix: /productpage}}]
    timeout: 7s
    delegate: {name: pp-delegate}
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews-delegate, namespace: team}
  - match: [{uri: {prefix: /hidden}}]
    delegate: {name: private-delegate, namespace: team}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pp-delegate}
spec:
  http:
  - name: v
    match: [{uri: {prefix: /productpage/v2}}]
    route: [{destination: {host: productpage}}]
    timeout: 2s
  - match: [{uri: {prefix: /other}}]
    route: [{destination: {host: details}}]
  - route: [{destination: {host: productpage}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-delegate, namespace: team}
spec:
  http:
  - route: [{destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: private-delegate, namespace: team}
spec:
  exportTo: ["."]
  http:
  - route: [{destination: {host: ratings.default.svc.cluster.local}}]
`;

test('a gateway root VirtualService delegates prefixes to delegates, merged as istiod does', () => {
  const res = resourcesFor(snapshotOf(`${BOOKINFO}---\n${ROOT}`), 'istio-ingressgateway', 'istio-system', { gatewayPortMap: { 80: 8080 } });
  const v2 = expectOk(res, { port: 8080, path: '/productpage/v2/x', authority: 'a' });
  assert.equal(clusterOf(v2), 'outbound|9080||productpage.default.svc.cluster.local');
  assert.equal(v2.timeoutMs, 2000, 'the delegate timeout wins');
  const pp = expectOk(res, { port: 8080, path: '/productpage', authority: 'a' });
  assert.equal(clusterOf(pp), 'outbound|9080||productpage.default.svc.cluster.local');
  assert.equal(pp.timeoutMs, 7000, 'unset in the delegate rule: inherited from the root rule');
  const rc = res.routes.find((r) => r.name === 'http.8080')!;
  const names = rc.virtualHosts!.flatMap((vh) => vh.routes!.map((r) => r.name));
  assert.ok(names.includes('pp-v'), names.join(','));
  // /other is outside the root's /productpage: that delegate rule is dropped.
  assert.equal(expectOk(res, { port: 8080, path: '/productpage/other', authority: 'a' }).route?.name, 'pp');
  assert.ok(!res.routes.some((r) => r.virtualHosts?.some((vh) => vh.routes?.some((x) => x.match?.prefix === '/other'))));
  const reviews = expectOk(res, { port: 8080, path: '/reviews/1', authority: 'a' });
  assert.equal(clusterOf(reviews), 'outbound|9080||reviews.default.svc.cluster.local');
  // A delegate exported only to its own namespace is not visible to the root: no route.
  const hidden = simulate(res, { port: 8080, path: '/hidden', authority: 'a' });
  assert.equal(hidden.ok, false);
});
