import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing.js';
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
