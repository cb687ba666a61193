import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { podNotSelectedAnalyzer } from './dr-subsets.js';


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
  - name: v4
    labels:
      version: v4
`;

const negative = service('reviews', ['v1', 'v4']) + `---
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
  - name: v4
    labels:
      version: v4
`;

test('dr-subsets: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, podNotSelectedAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0173');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'DestinationRule default/reviews');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '- name: v4', 1));
});

test('dr-subsets: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, podNotSelectedAnalyzer).map((m) => m.message), []);
});
