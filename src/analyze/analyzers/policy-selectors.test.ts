import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { policySelectorAnalyzer } from './policy-selectors.js';


const positive = service('reviews') + `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: strict
spec:
  selector:
    matchLabels:
      app: revues
  mtls:
    mode: STRICT
`;

const negative = service('reviews') + `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: strict
spec:
  selector:
    matchLabels:
      app: reviews
  mtls:
    mode: STRICT
`;

test('policy-selectors: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, policySelectorAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0127');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'PeerAuthentication default/strict');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '  selector:', 3));
});

test('policy-selectors: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, policySelectorAnalyzer).map((m) => m.message), []);
});
