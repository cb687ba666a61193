import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { authorizationPoliciesAnalyzer } from './authz-policies.js';
import { meshConfigWith } from '../../config/mesh-config.js';


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

test('authz-policies: a CUSTOM policy with an HTTP ext_authz provider on TCP ports is reported (IST0167)', () => {
  const tcp = `apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: default}
spec:
  selector: {app: tcp-echo}
  ports: [{name: tcp, port: 9000}, {name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tcp-echo, namespace: default}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  template:
    metadata: {labels: {app: tcp-echo}}
    spec: {containers: [{name: tcp-echo, image: x, command: [x]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext, namespace: default}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: CUSTOM
  provider: {name: my-authz}
  rules: [{}]
`;
  const mesh = meshConfigWith({ extensionProviders: [{ name: 'my-authz', envoyExtAuthzHttp: { service: 'ext-authz.default.svc.cluster.local', port: 8000 } }] });
  const msgs = analyzeYaml(tcp, authorizationPoliciesAnalyzer, mesh);
  assert.deepEqual(msgs.map((m) => m.code), ['IST0167']);
  assert.match(msgs[0]!.message, /does not check TCP traffic, so TCP port\(s\) 9000 of the selected workloads/);
  assert.deepEqual(analyzeYaml(tcp.replace('{name: tcp, port: 9000}, ', ''), authorizationPoliciesAnalyzer, mesh).map((m) => m.code), []);
});

test('authz-policies: rule namespaces match as istioctl (prefix*, *suffix); a mesh-wide policy without selector is never IST0127', () => {
  const yaml = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: mesh-deny
  namespace: istio-system
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: from-prod
  namespace: istio-system
spec:
  rules:
  - from:
    - source:
        namespaces: ["istio-*", "*-system", "prod-*", "*-staging"]
`;
  const msgs = analyzeYaml(yaml, authorizationPoliciesAnalyzer);
  assert.deepEqual(msgs.map((m) => `${m.code} ${m.resource?.name}:${m.source?.line} ${m.message}`), [
    `IST0101 from-prod:${lineOf(yaml, 'namespaces:')} Referenced namespace not found: "prod-*"`,
    `IST0101 from-prod:${lineOf(yaml, 'namespaces:')} Referenced namespace not found: "*-staging"`,
  ]);
});
