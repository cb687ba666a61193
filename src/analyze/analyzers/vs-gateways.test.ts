import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { vsGatewayAnalyzer } from './vs-gateways.js';


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
    hosts: ["a.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [b.example.com]
  gateways: [gw]
  http:
  - route:
    - destination:
        host: web
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
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: [b.example.com]
  gateways: [gw]
  http:
  - route:
    - destination:
        host: web
`;

test('vs-gateways: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, vsGatewayAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0132');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/web');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'gateways: [gw]', 1));
});

test('vs-gateways: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, vsGatewayAnalyzer).map((m) => m.message), []);
});
