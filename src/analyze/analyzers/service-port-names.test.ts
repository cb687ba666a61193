import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { portNameAnalyzer } from './service-port-names.js';


const positive = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: web
    port: 8000
    targetPort: 80
`;

const negative = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http-web
    port: 8000
    targetPort: 80
`;

test('service-port-names: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, portNameAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0118');
  assert.equal(msgs[0]!.level, 'Info');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Service default/web');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '- name: web', 1));
});

test('service-port-names: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, portNameAnalyzer).map((m) => m.message), []);
});

const externalName = (ns: string, name: string, portName: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  type: ExternalName
  externalName: nginx.example.com
  ports:
  - name: ${portName}
    port: 443
`;

test('service-port-names: an ExternalName port named exactly `tcp` or with no known protocol is IST0150, not IST0118', () => {
  const yaml = externalName('nginx-ns', 'nginx', 'tcp') + externalName('nginx-ns2', 'nginx2', 'https-web') +
    externalName('nginx-ns3', 'nginx3', 'web') + externalName('nginx-ns4', 'nginx4', 'tcp-db');
  const msgs = analyzeYaml(yaml, portNameAnalyzer);
  assert.deepEqual(msgs.map((m) => `${m.level} ${m.code} ${m.resource?.namespace}/${m.resource?.name}:${m.source?.line}`), [
    `Warning IST0150 nginx-ns/nginx:${lineOf(yaml, '- name: tcp', 1)}`,
    `Warning IST0150 nginx-ns3/nginx3:${lineOf(yaml, '- name: web', 1)}`,
  ]);
  assert.equal(msgs[0]!.message,
    'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly');
});
