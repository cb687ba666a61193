import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing.js';
import { gatewaySecretAnalyzer } from './gateway-secrets.js';
import { certSecret } from './gateway-secrets.fixture.js';


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
      credentialName: missing-cert
`;

const negative = certSecret('web-cert') + `---
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
      credentialName: web-cert
`;

test('gateway-secrets: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, gatewaySecretAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0101');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Gateway default/tls');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'credentialName: missing-cert', 1));
});

test('gateway-secrets: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, gatewaySecretAnalyzer).map((m) => m.message), []);
});
