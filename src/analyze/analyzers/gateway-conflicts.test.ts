import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { conflictingGatewayAnalyzer } from './gateway-conflicts.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: alpha
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["*.example.com"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: beta
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["*.example.com"]
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: alpha
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["a.example.com"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: beta
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 8080
      name: http
      protocol: HTTP
    hosts: ["b.example.com"]
`;

test('gateway-conflicts: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, conflictingGatewayAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0145');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Gateway default/alpha');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '- port:', 1));
  assert.equal(msgs[1]!.code, 'IST0145');
  assert.equal(msgs[1]!.level, 'Error');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'Gateway default/beta');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, '- port:', 2));
});

test('gateway-conflicts: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, conflictingGatewayAnalyzer).map((m) => m.message), []);
});

const gw = (name: string, selector: string, hosts: string, bind = '') => `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ${name}
spec:
  selector:
${selector}
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts: ${hosts}${bind ? `\n    bind: ${bind}` : ''}
    tls:
      mode: PASSTHROUGH
`;

test('gateway-conflicts: as istioctl, identical hosts conflict (a wildcard next to a specific host does not); same selector needs no pod', () => {
  const yaml = gw('edge-a', '    app: edge', '["shop.example.com", "*.example.com"]') +
    gw('edge-b', '    app: edge', '["shop.example.com"]') +
    gw('edge-c', '    app: edge', '["api.example.com"]') +
    gw('edge-d', '    app: edge', '["shop.example.com"]', '10.0.0.1') +
    gw('other', '    app: other', '["shop.example.com"]');
  const msgs = analyzeYaml(yaml, conflictingGatewayAnalyzer);
  assert.deepEqual(msgs.map((m) => `${m.resource?.name}: ${m.message}`), [
    'edge-a: Conflict with gateways default/edge-b (workload selector app=edge, port 443, hosts shop.example.com,*.example.com).',
    'edge-b: Conflict with gateways default/edge-a (workload selector app=edge, port 443, hosts shop.example.com).',
  ]);
});
