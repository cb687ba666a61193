import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { destinationHostAnalyzer } from './vs-destination-hosts.js';


const positive = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews2
`;

const negative = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
`;

test('vs-destination-hosts: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, destinationHostAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0101');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/reviews');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'host: reviews2', 1));
});

test('vs-destination-hosts: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, destinationHostAnalyzer).map((m) => m.message), []);
});
