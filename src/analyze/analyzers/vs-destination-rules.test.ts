import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { destinationRuleSubsetAnalyzer } from './vs-destination-rules.js';


const positive = service('reviews', ['v1']) + `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
---
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
        subset: v2
`;

const negative = service('reviews', ['v1']) + `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
  - name: v1
    labels:
      version: v1
---
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
        subset: v1
`;

test('vs-destination-rules: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, destinationRuleSubsetAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0101');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/reviews');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'subset: v2', 1));
});

test('vs-destination-rules: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, destinationRuleSubsetAnalyzer).map((m) => m.message), []);
});
