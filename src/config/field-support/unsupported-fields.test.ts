import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText } from '../load.js';
import { UNSUPPORTED_FIELD } from './unsupported-fields.js';

const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - name: r
    corsPolicy:
      allowOrigin: [https://a.example]
    route:
    - destination: {host: reviews}
  tcp:
  - match:
    - sourceSubnet: 10.0.0.0/8
    route:
    - destination: {host: reviews}
`;

test('an unsupported field is a WFT0100 warning at its line, with the reason; the resource still loads', () => {
  const out = parseText('vs.yaml', vs);
  assert.equal(out.resources.length, 1);
  const w = out.diagnostics.filter((d) => d.code === UNSUPPORTED_FIELD);
  assert.deepEqual(w.map((d) => [d.field, d.source?.line, d.level]), [
    ['spec.tcp[0].match[0].sourceSubnet', 15, 'Warning'],
  ]);
  assert.match(w[0]!.message, /UnsupportedField: .*sourceSubnet is not matched/);
  assert.deepEqual(w[0]!.resource, { kind: 'VirtualService', namespace: 'default', name: 'reviews' });
  // The deprecation of allowOrigin is still reported too.
  assert.ok(out.diagnostics.some((d) => d.code === 'IST0002' && d.field === 'spec.http[0].corsPolicy.allowOrigin'));
});

test('enforced fields and Kubernetes fields Weft ignores on purpose give no warning', () => {
  const ok = vs.replace(/    corsPolicy:\n.*\n/, '    timeout: 2s\n').replace(/  tcp:\n(.*\n)*/, '');
  assert.deepEqual(parseText('vs.yaml', ok).diagnostics, []);
  const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources: {limits: {cpu: 100m}}
        command: [node, web.js]
`;
  const d = parseText('d.yaml', deploy);
  assert.equal(d.resources.length, 1);
  assert.deepEqual(d.diagnostics, []);
});

test('a refused resource gets its errors and no WFT0100 noise', () => {
  const bad = vs.replace('name: r', 'name: r\n    timeout: 7');
  const out = parseText('vs.yaml', bad);
  assert.equal(out.resources.length, 0);
  assert.equal(out.diagnostics.some((d) => d.code === UNSUPPORTED_FIELD), false);
});

test('Sidecar ingress: every field set is reported once, at its own line', () => {
  const sc = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: s, namespace: ns1}
spec:
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
    captureMode: NONE
`;
  const out = parseText('sc.yaml', sc);
  assert.equal(out.resources.length, 1);
  const w = out.diagnostics.filter((d) => d.code === UNSUPPORTED_FIELD);
  // port and defaultEndpoint are enforced (test/fidelity/sidecar-ingress.test.ts); captureMode is not.
  assert.deepEqual(w.map((d) => d.field).sort(), ['spec.ingress[0].captureMode']);
  assert.equal(w[0]?.source?.line, 8);
  assert.equal(w[0]!.resource?.namespace, 'ns1');
});
