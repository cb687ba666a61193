import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing.js';
import { gatewayCertificateAnalyzer } from './gateway-certificates.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tls
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ["web.example.com"]
    tls:
      mode: SIMPLE
      credentialName: shared
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tls2
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ["web.example.com"]
    tls:
      mode: SIMPLE
      credentialName: shared
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tls
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ["web.example.com"]
    tls:
      mode: SIMPLE
      credentialName: shared
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: tls2
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ["web.example.com"]
    tls:
      mode: SIMPLE
      credentialName: other
`;

test('gateway-certificates: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, gatewayCertificateAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0138');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Gateway default/tls');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'name: tls', 1));
  assert.equal(msgs[1]!.code, 'IST0138');
  assert.equal(msgs[1]!.level, 'Warning');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'Gateway default/tls2');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, 'name: tls2', 1));
});

test('gateway-certificates: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, gatewayCertificateAnalyzer).map((m) => m.message), []);
});
