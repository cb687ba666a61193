import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { planPods, podEnvironment, proxyConfigAnnotation, type PodPlan } from './pod-plan.js';
import { ConfigStore } from '../control/config-store.js';

const PLAN: PodPlan = {
  name: 'web-0', namespace: 'default', deployment: 'web', labels: { app: 'web' }, serviceAccount: 'web',
  argv: ['node', 'app.js'], env: [], ports: [8080], cwd: '/tmp', specKey: 'k',
  replica: 0, terminationGraceSeconds: 30, drainMs: 2000, unsupportedProxyConfig: [],
};

const deployment = (body: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
${body}`;
const TEMPLATE = `    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: x, command: [node, app.mjs], env: [{name: A, value: "1"}], ports: [{containerPort: 9080}]}
`;
// The same template, keys in another order.
const TEMPLATE_REORDERED = `    spec:
      containers:
      - {ports: [{containerPort: 9080}], env: [{value: "1", name: A}], command: [node, app.mjs], image: x, name: web}
    metadata: {labels: {app: web}}
`;

test('restart key (issue 11): an apply the store calls unchanged never restarts a pod, even after a later unrelated change', async () => {
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-podplan-'));
  try {
    const store = new ConfigStore({ stateDir: state, debounceMs: 5 });
    await store.start();
    const first = await store.apply([{ file: '/srv/one/web.yaml', text: deployment(TEMPLATE) }]);
    assert.equal(first.results[0]?.action, 'created');
    const before = planPods(store.resources(), '/base');
    // The same Deployment applied again from another directory: the store says unchanged…
    const again = await store.apply([{ file: '/srv/two/web.yaml', text: deployment(TEMPLATE) }]);
    assert.equal(again.results[0]?.action, 'unchanged');
    // …and an unrelated change later makes the store publish the re-applied object.
    await store.apply([{ file: '-', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {a: b}\n' }]);
    const after = planPods(store.resources(), '/base');
    assert.equal(after.length, 2);
    assert.deepEqual(after.map((p) => p.specKey), before.map((p) => p.specKey), 'the pods keep their restart key: no restart');
    store.stop();
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('restart key: only the pod template counts (key order, replicas and strategy do not; an env change does)', async () => {
  const store = new ConfigStore({ debounceMs: 5 });
  await store.start();
  const key = async (text: string) => {
    await store.apply([{ file: '-', text }]);
    return planPods(store.resources(), '/base')[0]!.specKey;
  };
  const k1 = await key(deployment(TEMPLATE));
  assert.equal(await key(deployment(TEMPLATE_REORDERED)), k1);
  assert.equal(await key(deployment(TEMPLATE).replace('replicas: 2', 'replicas: 3\n  strategy: {type: Recreate}')), k1);
  assert.notEqual(await key(deployment(TEMPLATE.replace('value: "1"', 'value: "2"'))), k1);
  store.stop();
});

test("podEnvironment: an app never inherits the operator's API token (or proxy settings)", () => {
  const env = podEnvironment(PLAN, { podIp: '127.10.0.2', appHost: '127.11.0.2', outboundProxy: 'http://127.10.0.2:15001' }, [], {
    WEFT_API_TOKEN: 'operator-secret',
    HTTPS_PROXY: 'http://corp:3128',
    LANG: 'C.UTF-8',
  });
  assert.equal(env.WEFT_API_TOKEN, undefined);
  assert.equal(env.HTTPS_PROXY, undefined);
  assert.equal(env.LANG, 'C.UTF-8');
  assert.equal(env.POD_NAME, 'web-0');
});

test('planPods: strategy, readinessProbe, preStop, terminationGracePeriodSeconds and the drain annotation reach the plan', async () => {
  const store = new ConfigStore({ debounceMs: 5 });
  await store.start();
  const result = await store.apply([{ file: '-', text: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {proxy.istio.io/config: "terminationDrainDuration: 7s"}
    spec:
      terminationGracePeriodSeconds: 12
      containers:
      - name: web
        command: [node, app.mjs]
        ports: [{name: http, containerPort: 9080}]
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 2}
        lifecycle: {preStop: {exec: {command: [sh, -c, "sleep 1"]}}}
` }]);
  assert.equal(result.ok, true, JSON.stringify(result.diagnostics));
  const plans = planPods(store.resources(), '/base');
  assert.deepEqual(plans.map((p) => [p.name, p.replica]), [['web-0', 0], ['web-1', 1]]);
  const p = plans[0]!;
  assert.deepEqual(p.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } });
  assert.deepEqual(p.readinessProbe, { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2 });
  assert.deepEqual(p.preStop, { exec: { command: ['sh', '-c', 'sleep 1'] } });
  assert.equal(p.terminationGraceSeconds, 12);
  assert.equal(p.drainMs, 7000);
  assert.deepEqual(p.unsupportedProxyConfig, []);
  assert.deepEqual(p.namedPorts, [{ name: 'http', port: 9080 }]);
  store.stop();
});

test('proxy.istio.io/config: terminationDrainDuration is read as a duration; every other ProxyConfig field is reported, never silently dropped', () => {
  assert.deepEqual(proxyConfigAnnotation({ 'proxy.istio.io/config': 'terminationDrainDuration: 1m30s' }), { drainMs: 90_000, unsupported: [] });
  assert.deepEqual(proxyConfigAnnotation({ 'proxy.istio.io/config': '{holdApplicationUntilProxyStarts: true, concurrency: 2}' }).unsupported, [
    'proxy.istio.io/config holdApplicationUntilProxyStarts', 'proxy.istio.io/config concurrency',
  ]);
  assert.deepEqual(proxyConfigAnnotation({ 'proxy.istio.io/config': 'terminationDrainDuration: soon' }).unsupported, ['proxy.istio.io/config terminationDrainDuration (not a duration)']);
  assert.deepEqual(proxyConfigAnnotation({ 'proxy.istio.io/config': '[' }).unsupported, ['proxy.istio.io/config (not valid YAML)']);
  assert.deepEqual(proxyConfigAnnotation(undefined), { unsupported: [] });
});
