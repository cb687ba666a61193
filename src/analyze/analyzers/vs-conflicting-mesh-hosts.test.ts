import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { conflictingMeshGatewayHostsAnalyzer } from './vs-conflicting-mesh-hosts.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: a
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: b
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: reviews}
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: a
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: b
spec:
  hosts: [reviews]
  gateways: [some-gateway]
  http:
  - route:
    - destination: {host: reviews}
`;

test('vs-conflicting-mesh-hosts: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, conflictingMeshGatewayHostsAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0109');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'VirtualService default/a');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'name: a', 1));
  assert.equal(msgs[1]!.code, 'IST0109');
  assert.equal(msgs[1]!.level, 'Error');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'VirtualService default/b');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, 'name: b', 1));
});

test('vs-conflicting-mesh-hosts: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, conflictingMeshGatewayHostsAnalyzer).map((m) => m.message), []);
});
