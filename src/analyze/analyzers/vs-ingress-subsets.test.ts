import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { destinationHostAnalyzer } from './vs-destination-hosts.js';

const gateway = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: web-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts: ["*"]
`;

const meshSplit = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-split
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 90
    - destination:
        host: reviews
        subset: v2
      weight: 10
`;

const ingress = (subset: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-ingress
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination:
        host: reviews${subset ? `\n        subset: ${subset}` : ''}
`;

test('vs-ingress-subsets: a gateway route without subset to a host another VirtualService splits by subset is IST0140', () => {
  const yaml = service('reviews', ['v1', 'v2']) + gateway + meshSplit + ingress('');
  const msgs = analyzeYaml(yaml, destinationHostAnalyzer).filter((m) => m.code === 'IST0140');
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/reviews-ingress');
  assert.equal(msgs[0]!.message, 'Subset in virtual service default/reviews-split has no effect on ingress gateway default/reviews-ingress requests');
  assert.equal(msgs[0]!.source?.line, lineOf(yaml, 'host: reviews', 3));
});

test('vs-ingress-subsets: quiet when the gateway route names a subset, or when no VirtualService splits the host', () => {
  const withSubset = service('reviews', ['v1', 'v2']) + gateway + meshSplit + ingress('v1');
  assert.deepEqual(analyzeYaml(withSubset, destinationHostAnalyzer).filter((m) => m.code === 'IST0140').map((m) => m.message), []);
  const noSplit = service('reviews', ['v1', 'v2']) + gateway + ingress('');
  assert.deepEqual(analyzeYaml(noSplit, destinationHostAnalyzer).filter((m) => m.code === 'IST0140').map((m) => m.message), []);
});
