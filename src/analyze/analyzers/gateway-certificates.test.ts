import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
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

const gw = (name: string, ns: string, selector: string, tls: string) => `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
${selector}
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ["*.example.com"]
    tls:
      mode: SIMPLE
${tls}`;

test('gateway-certificates: as istioctl, a selector that is a subset of another counts without pods, one message per pair naming both', () => {
  const files = '      serverCertificate: /etc/certs/server.pem\n      privateKey: /etc/certs/key.pem\n';
  const yaml = gw('gateway-01', 'istio-system', '    app: edge', files) +
    gw('gateway-02', 'istio-system', '    app: edge\n    tier: front', files) +
    gw('gateway-03', 'default', '    app: other', files) +
    gw('gateway-04', 'default', '    app: edge', '      credentialName: edge-cert\n');
  const msgs = analyzeYaml(yaml, gatewayCertificateAnalyzer);
  assert.deepEqual(msgs.map((m) => `${m.resource?.namespace}/${m.resource?.name}: ${m.message}`), [
    'istio-system/gateway-01: Duplicate certificate in multiple gateways [istio-system/gateway-01 istio-system/gateway-02] may cause 404s if clients re-use HTTP2 connections.',
  ]);
});
