import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { sidecarSelectorAnalyzer } from './sidecar-selectors.js';


const positive = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: a
spec:
  workloadSelector:
    labels:
      app: reviews
  egress:
  - hosts: ["./*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: b
spec:
  workloadSelector:
    labels:
      app: reviews
  egress:
  - hosts: ["./*"]
`;

const negative = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: a
spec:
  workloadSelector:
    labels:
      app: reviews
  egress:
  - hosts: ["./*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: b
spec:
  egress:
  - hosts: ["./*"]
`;

test('sidecar-selectors: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, sidecarSelectorAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0110');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Sidecar default/a');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'labels:', 2));
  assert.equal(msgs[1]!.code, 'IST0110');
  assert.equal(msgs[1]!.level, 'Error');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'Sidecar default/b');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, 'labels:', 3));
});

test('sidecar-selectors: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, sidecarSelectorAnalyzer).map((m) => m.message), []);
});
