/**
 * Every Listener and RouteConfiguration the translation produces must survive protobuf encoding
 * unchanged (so what the proxy decodes is what was built), and translation must be deterministic.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, encodeResource } from '../xds/protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { BOOKINFO, BOOKINFO_DESTINATION_RULES, resourcesFor, snapshotOf } from '../simulate/testing/bookinfo-sim.js';
import type { XdsResources } from './translate.js';

const RICH = `${BOOKINFO}---
${BOOKINFO_DESTINATION_RULES}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - name: by-header
      headers: {end-user: {exact: jason}, x-any: {}}
      withoutHeaders: {x-skip: {prefix: y}}
      queryParams: {v: {regex: "[0-9]+"}}
      uri: {prefix: /Reviews}
      ignoreUriCase: true
      method: {exact: GET}
      authority: {regex: "reviews.*"}
      scheme: {exact: http}
    fault:
      delay: {fixedDelay: 7s, percentage: {value: 12.5}}
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 1}}
    route:
    - destination: {host: reviews, subset: v2}
      headers: {request: {set: {x-d: "1"}}, response: {remove: [x-r]}}
  - match: [{uri: {exact: /redirect}}]
    redirect: {uri: /, authority: example.com, port: 8443, scheme: https, redirectCode: 308}
  - match: [{uri: {exact: /direct}}]
    directResponse: {status: 200, body: {bytes: aGVsbG8=}}
  - match: [{uri: {regex: "/r/.*"}}]
    rewrite: {uriRegexRewrite: {match: "/r/(.*)", rewrite: "/\\\\1"}, authority: other}
    timeout: 1.5s
    retries: {attempts: 4, perTryTimeout: 250ms, retryOn: "5xx,429", retryIgnorePreviousHosts: false, retryRemoteLocalities: true, backoff: 10ms}
    corsPolicy: {allowOrigins: [{prefix: "https://"}], allowMethods: [GET], maxAge: 1m, allowCredentials: false, unmatchedPreflights: IGNORE}
    mirror: {host: ratings}
    mirrorPercentage: {value: 0.5}
    route:
    - destination: {host: reviews, subset: v1}
      weight: 75
    - destination: {host: reviews, subset: v3}
      weight: 25
      headers: {request: {add: {x-w: "3"}, set: {host: h3}}}
  - headers: {response: {add: {x-resp: "1"}}}
    route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings-hash}
spec:
  host: details
  trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {name: user, ttl: 10s, path: /}}}}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}, {name: tls-x, port: 8443}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db, db.example.com]
  tcp:
  - route:
    - {destination: {host: db, port: {number: 5432}}, weight: 60}
    - {destination: {host: reviews, port: {number: 9080}}, weight: 40}
  tls:
  - match: [{sniHosts: [db.example.com], port: 8443}]
    route: [{destination: {host: db, port: {number: 8443}}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["bookinfo.example.com"]
    tls: {mode: MUTUAL, credentialName: bookinfo-cred, minProtocolVersion: TLSV1_2}
  - port: {number: 443, name: https-files, protocol: HTTPS}
    hosts: ["files.example.com"]
    tls: {mode: SIMPLE, serverCertificate: /etc/cert.pem, privateKey: /etc/key.pem}
  - port: {number: 9443, name: tls, protocol: TLS}
    hosts: ["*.db.example.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 5432, name: tcp, protocol: TCP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gw-routes}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: productpage}}]
  tcp:
  - match: [{port: 5432}]
    route: [{destination: {host: db, port: {number: 5432}}}]
  tls:
  - match: [{sniHosts: [a.db.example.com]}]
    route: [{destination: {host: db, port: {number: 8443}}}]
`;

function scenarios(): [string, XdsResources][] {
  const snap = snapshotOf(RICH);
  const strict = snapshotOf(RICH, { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, pathNormalization: 'NONE' });
  return [
    ['productpage sidecar', resourcesFor(snap, 'productpage-v1')],
    ['reviews sidecar (REGISTRY_ONLY, no normalization)', resourcesFor(strict, 'reviews-v1')],
    ['ingress gateway', resourcesFor(snap, 'istio-ingressgateway', 'istio-system', { gatewayPortMap: { 80: 8080, 443: 8443 } })],
  ];
}

describe('round trip through protobuf', () => {
  for (const [name, res] of scenarios()) {
    test(`${name}: every Listener and RouteConfiguration decodes to what was built`, () => {
      assert.ok(res.listeners.length > 0 && res.routes.length > 0);
      for (const l of res.listeners) {
        const plain = JSON.parse(JSON.stringify(l)) as object;
        assert.deepEqual(decodeResource(TypeUrl.Listener, encodeResource(TypeUrl.Listener, plain)), plain, `listener ${l.name}`);
      }
      for (const r of res.routes) {
        const plain = JSON.parse(JSON.stringify(r)) as object;
        assert.deepEqual(decodeResource(TypeUrl.RouteConfiguration, encodeResource(TypeUrl.RouteConfiguration, plain)), plain, `route ${r.name}`);
      }
    });
  }
});

describe('determinism', () => {
  test('the same input gives byte-identical JSON', () => {
    const a = scenarios().map(([, r]) => JSON.stringify(r));
    const b = scenarios().map(([, r]) => JSON.stringify(r));
    assert.deepEqual(a, b);
  });

  test('lists are sorted by name', () => {
    for (const [, res] of scenarios()) {
      for (const list of [res.listeners, res.routes, res.clusters]) {
        const names = list.map((x) => x.name ?? '');
        assert.deepEqual(names, [...names].sort());
      }
    }
  });
});
