import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { ingressGatewayPortAnalyzer } from './gateway-ports.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 9999
      name: http
      protocol: HTTP
    hosts: ["*"]
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["*"]
`;

test('gateway-ports: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, ingressGatewayPortAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0162');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Gateway default/gw');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'istio: ingressgateway', 1));
});

test('gateway-ports: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, ingressGatewayPortAnalyzer).map((m) => m.message), []);
});
