import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { sidecarEgressHostAnalyzer } from './sidecar-egress-hosts.js';


const positive = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
spec:
  egress:
  - hosts:
    - "./*"
    - "default/reveiws.default.svc.cluster.local"
`;

const negative = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
spec:
  egress:
  - hosts:
    - "./*"
    - "default/reviews.default.svc.cluster.local"
`;

test('sidecar-egress-hosts: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, sidecarEgressHostAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0101');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Sidecar default/default');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'default/reveiws', 1));
});

test('sidecar-egress-hosts: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, sidecarEgressHostAnalyzer).map((m) => m.message), []);
});
