import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { ruleReachabilityAnalyzer } from './vs-rule-reachability.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: r
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {prefix: /api}
    route:
    - destination: {host: reviews}
  - match:
    - uri: {prefix: /api/v1}
    route:
    - destination: {host: reviews}
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: r
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {prefix: /api/v1}
    route:
    - destination: {host: reviews}
  - match:
    - uri: {prefix: /api}
    route:
    - destination: {host: reviews}
  - route:
    - destination: {host: reviews}
`;

test('vs-rule-reachability: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, ruleReachabilityAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0131');
  assert.equal(msgs[0]!.level, 'Info');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/r');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'uri: {prefix: /api/v1}', 1));
  assert.equal(msgs[1]!.code, 'IST0130');
  assert.equal(msgs[1]!.level, 'Warning');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'VirtualService default/r');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, '- match:', 2));
});

test('vs-rule-reachability: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, ruleReachabilityAnalyzer).map((m) => m.message), []);
});
