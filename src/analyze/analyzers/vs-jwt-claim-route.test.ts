import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { jwtClaimRouteAnalyzer } from './vs-jwt-claim-route.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: claims
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - headers:
        "@request.auth.claims.groups":
          exact: group1
    route:
    - destination: {host: web}
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: claims
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - headers:
        "@request.auth.claims.groups":
          exact: group1
    route:
    - destination: {host: web}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: "issuer-foo"
    jwksUri: https://example.com/jwks.json
`;

test('vs-jwt-claim-route: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, jwtClaimRouteAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0149');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/claims');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '@request.auth.claims.groups', 1));
});

test('vs-jwt-claim-route: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, jwtClaimRouteAnalyzer).map((m) => m.message), []);
});
