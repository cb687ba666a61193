import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { ineffectiveSelectorAnalyzer } from './ineffective-selectors.js';


const positive = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bookinfo-gateway-istio
spec:
  selector:
    matchLabels:
      gateway.networking.k8s.io/gateway-name: bookinfo-gateway
  template:
    metadata:
      labels:
        gateway.networking.k8s.io/gateway-name: bookinfo-gateway
    spec:
      containers:
      - name: istio-proxy
        image: auto
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ap-ineffective
spec:
  selector:
    matchLabels:
      gateway.networking.k8s.io/gateway-name: bookinfo-gateway
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["POST"]
`;

const negative = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bookinfo-gateway-istio
spec:
  selector:
    matchLabels:
      gateway.networking.k8s.io/gateway-name: bookinfo-gateway
  template:
    metadata:
      labels:
        gateway.networking.k8s.io/gateway-name: bookinfo-gateway
    spec:
      containers:
      - name: istio-proxy
        image: auto
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ap-ineffective
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: Gateway
    name: bookinfo-gateway
  action: DENY
  rules:
  - to:
    - operation:
        methods: ["POST"]
`;

test('ineffective-selectors: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, ineffectiveSelectorAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0166');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'AuthorizationPolicy default/ap-ineffective');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '  selector:', 2));
});

test('ineffective-selectors: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, ineffectiveSelectorAnalyzer).map((m) => m.message), []);
});
