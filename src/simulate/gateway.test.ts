/**
 * Gateway proxies: Bookinfo ingress with the 80→8080 port map, host binding between Gateway
 * servers and VirtualServices, merged VirtualServices, httpsRedirect, HTTPS termination by SNI, and
 * TLS passthrough; plus a TCP route split on a sidecar.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from './simulate.js';
import { BOOKINFO, clusterOf, expectOk, resourcesFor, snapshotOf } from './testing/bookinfo-sim.js';

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match:
    - uri: {exact: /productpage}
    - uri: {prefix: /static}
    - uri: {exact: /login}
    - uri: {exact: /logout}
    - uri: {prefix: /api/v1/products}
    route:
    - destination:
        host: productpage
        port: {number: 9080}
`;
const PORT_MAP = { gatewayPortMap: { 80: 8080, 443: 8443 } };
const PP = 'outbound|9080||productpage.default.svc.cluster.local';

describe('Bookinfo ingress gateway', () => {
  const snap = snapshotOf(`${BOOKINFO}---\n${GATEWAY}`);
  const res = resourcesFor(snap, 'istio-ingressgateway', 'istio-system', PORT_MAP);

  test('listens on 8080 with RDS http.8080', () => {
    assert.deepEqual(res.listeners.map((l) => l.name), ['0.0.0.0_8080']);
    assert.deepEqual(res.routes.map((r) => r.name), ['http.8080']);
  });

  for (const path of ['/productpage', '/static/css/x.css', '/login', '/logout', '/api/v1/products/0']) {
    test(`${path} goes to productpage`, () => {
      const r = expectOk(res, { port: 8080, path, authority: 'localhost:8080' });
      assert.equal(clusterOf(r), PP);
      assert.equal(r.listener, '0.0.0.0_8080');
      assert.equal(r.routeConfig, 'http.8080');
      assert.equal(r.virtualHost, '*:80');
      assert.equal(r.origin?.virtualService, 'default/bookinfo');
    });
  }

  test('/foo gives no-route', () => {
    const r = simulate(res, { port: 8080, path: '/foo', authority: 'localhost:8080' });
    assert.deepEqual([r.ok, !r.ok && r.error, !r.ok && r.virtualHost], [false, 'no-route', '*:80']);
  });

  test('port 80 itself has no listener with the port map; identity map listens on 80', () => {
    assert.equal((simulate(res, { port: 80, path: '/productpage' }) as { error?: string }).error, 'no-listener');
    const identity = resourcesFor(snap, 'istio-ingressgateway', 'istio-system');
    assert.equal(clusterOf(expectOk(identity, { port: 80, path: '/productpage', authority: 'bookinfo.example' })), PP);
  });

  test('a sidecar does not get gateway-bound VirtualServices', () => {
    const sc = resourcesFor(snap, 'reviews-v1');
    const r = expectOk(sc, { destination: 'productpage:9080', path: '/foo' });
    assert.equal(r.route?.name, 'default');
  });
});

describe('gateway host binding and merging', () => {
  const yaml = `${BOOKINFO}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["default/shop.example.com", "other/admin.example.com"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: example-cert}
  - port: {number: 8000, name: http-redirect, protocol: HTTP}
    hosts: ["secure.example.com"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-a, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [shop.example.com, admin.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /cart}}]
    route: [{destination: {host: reviews}}]
  - route: [{destination: {host: productpage}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-b, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings}}]
`;
  const res = resourcesFor(snapshotOf(yaml), 'istio-ingressgateway', 'istio-system', PORT_MAP);

  test('VirtualServices for one host are merged, catch-all routes last', () => {
    assert.equal(clusterOf(expectOk(res, { port: 8080, authority: 'shop.example.com', path: '/cart' })), 'outbound|9080||reviews.default.svc.cluster.local');
    const r = expectOk(res, { port: 8080, authority: 'shop.example.com:8080', path: '/ratings/1' });
    assert.equal(clusterOf(r), 'outbound|9080||ratings.default.svc.cluster.local');
    assert.equal(r.origin?.virtualService, 'default/shop-b');
    assert.equal(clusterOf(expectOk(res, { port: 8080, authority: 'shop.example.com', path: '/' })), PP);
  });

  test('a server host qualified with another namespace does not admit the VirtualService', () => {
    const r = simulate(res, { port: 8080, authority: 'admin.example.com', path: '/' });
    assert.deepEqual([r.ok, !r.ok && r.error], [false, 'no-virtual-host']);
  });

  test('HTTPS server: SNI-selected chain with SDS certificate and RDS https.443.https.gw.istio-system', () => {
    const listener = res.listeners.find((l) => l.name === '0.0.0.0_8443')!;
    const chain = listener.filterChains![0]!;
    assert.deepEqual(chain.filterChainMatch?.serverNames, ['*.example.com']);
    const tls = chain.transportSocket?.typedConfig as { commonTlsContext?: { tlsCertificateSdsSecretConfigs?: { name?: string }[] } };
    assert.equal(tls.commonTlsContext?.tlsCertificateSdsSecretConfigs?.[0]?.name, 'kubernetes://example-cert');
    const r = expectOk(res, { port: 8443, sni: 'shop.example.com', authority: 'shop.example.com', path: '/cart' });
    assert.equal(r.routeConfig, 'https.443.https.gw.istio-system');
    assert.equal(clusterOf(r), 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal((simulate(res, { port: 8443, sni: 'other.org', authority: 'other.org' }) as { error?: string }).error, 'no-filter-chain');
  });

  test('httpsRedirect answers with a 301 to https', () => {
    const r = expectOk(res, { port: 8000, authority: 'secure.example.com', path: '/x' });
    assert.deepEqual(r.action, { kind: 'redirect', status: 301, location: 'https://secure.example.com/x' });
  });
});

describe('TLS passthrough on a gateway', () => {
  test('routes by SNI with the VirtualService tls rules', () => {
    const yaml = `${BOOKINFO}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: passthrough}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.bookinfo.com"]
    tls: {mode: PASSTHROUGH}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: pt}
spec:
  hosts: ["*.bookinfo.com"]
  gateways: [passthrough]
  tls:
  - match: [{port: 443, sniHosts: [reviews.bookinfo.com]}]
    route: [{destination: {host: reviews, port: {number: 9080}}}]
`;
    const res = resourcesFor(snapshotOf(yaml), 'istio-ingressgateway', 'istio-system', PORT_MAP);
    const r = expectOk(res, { port: 8443, sni: 'reviews.bookinfo.com', protocol: 'tcp' });
    assert.equal(clusterOf(r), 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal(r.origin?.virtualService, 'default/pt');
    assert.equal((simulate(res, { port: 8443, sni: 'ratings.bookinfo.com', protocol: 'tcp' }) as { error?: string }).error, 'no-filter-chain');
  });
});

describe('TCP server on a gateway', () => {
  test('proxies to the VirtualService tcp route bound to the Gateway, matched on the server port', () => {
    const yaml = `${BOOKINFO}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-ratings}
spec:
  hosts: ["*"]
  gateways: [tcp-gw]
  tcp:
  - match: [{port: 31400}]
    route: [{destination: {host: ratings, port: {number: 9080}}}]
`;
    const res = resourcesFor(snapshotOf(yaml), 'istio-ingressgateway', 'istio-system', PORT_MAP);
    const r = expectOk(res, { port: 31400, protocol: 'tcp' });
    assert.deepEqual([r.listener, clusterOf(r), r.origin?.virtualService], ['0.0.0.0_31400', 'outbound|9080||ratings.default.svc.cluster.local', 'default/tcp-ratings']);
  });
});

describe('TCP route split on a sidecar', () => {
  test('weighted clusters from VirtualService tcp routes', () => {
    const yaml = `${BOOKINFO}---
apiVersion: v1
kind: Service
metadata: {name: tcp-echo}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tcp-echo}
spec:
  host: tcp-echo
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo}
spec:
  hosts: [tcp-echo]
  tcp:
  - match: [{port: 9000}]
    route:
    - destination: {host: tcp-echo, port: {number: 9000}, subset: v1}
      weight: 80
    - destination: {host: tcp-echo, port: {number: 9000}, subset: v2}
      weight: 20
`;
    const res = resourcesFor(snapshotOf(yaml), 'productpage-v1');
    const r = expectOk(res, { destination: 'tcp-echo:9000', protocol: 'tcp' });
    assert.equal(r.listener, '0.0.0.0_9000');
    assert.deepEqual(r.action, {
      kind: 'tcp',
      clusters: [
        { name: 'outbound|9000|v1|tcp-echo.default.svc.cluster.local', weight: 80, share: 0.8 },
        { name: 'outbound|9000|v2|tcp-echo.default.svc.cluster.local', weight: 20, share: 0.2 },
      ],
    });
    assert.deepEqual(r.origin, { virtualService: 'default/tcp-echo', rule: 0, match: 0 });
  });
});
