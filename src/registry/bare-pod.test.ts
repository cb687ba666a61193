import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTexts } from '../config/load.js';
import { buildRegistry } from './build-registry.js';
import { planPods } from '../up/pod-plan.js';
import { analyzeLoaded } from '../analyze/analyze.js';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: solo
  namespace: shop
  labels: {app: solo, version: v1}
  annotations: {proxy.istio.io/config: "terminationDrainDuration: 3s"}
spec:
  serviceAccount: solo-sa
  containers:
  - name: solo
    image: example/solo
    command: [node, app.mjs]
    args: [--port, "9091"]
    ports: [{name: web, containerPort: 9091}]
---
apiVersion: v1
kind: Service
metadata: {name: solo, namespace: shop}
spec:
  selector: {app: solo}
  ports: [{name: http, port: 9090, targetPort: web}]
`;

const POLICY = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: solo-only, namespace: shop}
spec:
  selector: {matchLabels: {app: solo}}
  rules: [{}]
`;

test('a bare Pod is one registry workload under its own name, with its labels, service account and named ports; its Service selects it', () => {
  const loaded = loadTexts([{ file: 'pod.yaml', text: POD }]);
  assert.deepEqual(loaded.diagnostics, []);
  const registry = buildRegistry(loaded.resources, { podAddress: (p) => (p.name === 'solo' ? '127.9.0.2' : undefined) });
  assert.equal(registry.workloads.length, 1);
  const w = registry.workloads[0]!;
  assert.deepEqual([w.name, w.namespace, w.serviceAccount, w.address, w.origin.kind], ['solo', 'shop', 'solo-sa', '127.9.0.2', 'Pod']);
  assert.deepEqual(w.labels, { app: 'solo', version: 'v1' });
  const svc = registry.servicesByHost('solo.shop.svc.cluster.local')[0]!;
  assert.deepEqual(registry.endpoints(svc, 9090).map((e) => `${e.address}:${e.port}`), ['127.9.0.2:9091']);
});

test('weft up plans a bare Pod as one pod named after it, with its command, ports, service account and annotations', () => {
  const plans = planPods(loadTexts([{ file: '/apps/pod.yaml', text: POD }]).resources, '/base');
  assert.equal(plans.length, 1);
  const p = plans[0]!;
  assert.deepEqual([p.name, p.namespace, p.deployment, p.replica, p.barePod], ['solo', 'shop', 'solo', 0, true]);
  assert.deepEqual(p.argv, ['node', 'app.mjs', '--port', '9091']);
  assert.deepEqual(p.ports, [9091]);
  assert.equal(p.serviceAccount, 'solo-sa');
  assert.equal(p.cwd, '/apps');
  assert.equal(p.drainMs, 3000);
});

test('analyzers select over bare Pods: a policy selecting one is not reported as matching no workload (IST0127)', () => {
  const withPod = analyzeLoaded(loadTexts([{ file: 'pod.yaml', text: POD + POLICY }]), { namespace: 'shop' });
  assert.deepEqual(withPod.all.filter((m) => m.code === 'IST0127'), []);
  const without = analyzeLoaded(loadTexts([{ file: 'pod.yaml', text: POD.replace('app: solo, version: v1', 'app: other') + POLICY }]), { namespace: 'shop' });
  assert.deepEqual(without.all.filter((m) => m.code === 'IST0127').map((m) => m.resource?.name), ['solo-only']);
});

test('a Pod is checked as the API server checks a pod spec (container names, ports)', () => {
  const bad = loadTexts([{ file: 'pod.yaml', text: POD.replace('- name: solo\n    image', '- name: Solo_1\n    image').replace('containerPort: 9091', 'containerPort: 70000') }]);
  const errors = bad.diagnostics.filter((d) => d.level === 'Error').map((d) => [d.field, d.source?.line]);
  assert.deepEqual(errors, [['spec.containers[0].name', 11], ['spec.containers[0].ports[0].containerPort', 15]]);
  assert.equal(bad.resources.filter((r) => r.kind === 'Pod').length, 0);
});
