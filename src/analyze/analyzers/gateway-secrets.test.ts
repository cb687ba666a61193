import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { gatewaySecretAnalyzer } from './gateway-secrets.js';
import { certSecret } from './testing/gateway-secrets-fixture.js';


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

test('gateway-secrets: a Secret read back from the API with its values withheld is not judged (weft explain on a running mesh)', () => {
  const withheld = (annotated: boolean) => `apiVersion: v1
kind: Secret
metadata:
  name: web-cert
  namespace: istio-system
${annotated ? '  annotations: {weft.io/redacted: "values withheld: tls.crt 583 bytes, tls.key 241 bytes"}\n' : ''}type: kubernetes.io/tls
data: {tls.crt: "", tls.key: ""}
` + negative.slice(certSecret('web-cert').length);
  assert.deepEqual(analyzeYaml(withheld(true), gatewaySecretAnalyzer).map((m) => m.message), []);
  // The same empty values without the annotation are a broken credential, as before.
  assert.equal(analyzeYaml(withheld(false), gatewaySecretAnalyzer).length, 1);
});
