import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing.js';
import { authorizationPoliciesAnalyzer } from './authz-policies.js';


const positive = service('reviews') + `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow
spec:
  selector:
    matchLabels:
      app: revues
  rules:
  - from:
    - source:
        namespaces: ["default"]
`;

const negative = service('reviews') + `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow
spec:
  selector:
    matchLabels:
      app: reviews
  rules:
  - from:
    - source:
        namespaces: ["default"]
`;

test('authz-policies: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, authorizationPoliciesAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0127');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'AuthorizationPolicy default/allow');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '  selector:', 3));
});

test('authz-policies: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, authorizationPoliciesAnalyzer).map((m) => m.message), []);
});
