/**
 * End to end (issue 11, Deliver 4 "done when"): 200 rps through the gateway of a real `weft up`
 * while a Deployment rolls out and scales, with every failed request counted exactly:
 *   1. one replica, three rollouts (an env var changed with `weft apply`);
 *   2. three replicas with `maxUnavailable: 0`, three rollouts;
 *   3. scaling 1 → 3 → 1, twice;
 *   4. an app that warms up (503 for 1.5 s after it listens) with a readinessProbe and a preStop
 *      hook: two rollouts, and each old pod's preStop ran before its SIGTERM.
 * The VirtualService turns retries off, so no failure is hidden by a retry on another pod.
 * Each must lose nothing: a new pod gets traffic only once ready, an old one leaves the endpoints
 * (pushed and ACKed by every proxy) before its sidecar drains and its app gets SIGTERM.
 * One mesh for the three tests (ports 19400–19409, pod network 127.28/16).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';
import { startSteadyLoad, type SteadyLoadResult } from '../helpers/steady-load.js';

const HTTP_PORT = 19400;
const API_PORT = 19402;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}/`;

let mesh: WeftProcess | undefined;
let dir = '';
let stateDir = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-rollout-'));
  stateDir = path.join(dir, '.state');
  await cp(path.join(REPO_ROOT, 'test/reliability/fixtures/rollout'), dir, { recursive: true });
  mesh = startWeft([
    'up', dir, '--state', stateDir, '--http-port', String(HTTP_PORT), '--https-port', '19401', '--xds-port', '19403',
    '--api-port', String(API_PORT), '--pod-net', '28',
  ]);
  await mesh.waitFor(/mesh ready in [\d.]+ s/, 60_000);
});

after(async () => {
  await mesh?.stop();
  closeClients();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The fixture's Deployment with `replicas`, env VERSION=`version` and an optional rolling-update strategy. */
function deployment(replicas: number, version: string, strategy = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
${strategy}  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: example/web
        command: [node, app.mjs]
        env: [{name: VERSION, value: ${version}}]
        ports: [{containerPort: 9080}]
`;
}

const MAX_UNAVAILABLE_0 = '  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: 0}\n';

async function apply(yaml: string): Promise<void> {
  const r = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', stateDir], { input: yaml });
  assert.equal(r.code, 0, r.stderr);
}

/**
 * Waits (bounded) until `consecutive` requests in a row are answered by `version` from exactly
 * `pods` distinct pods' worth of names seen, i.e. the rollout or scale reached the gateway.
 */
async function waitForState(version: string, pods: number, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const seen = new Set<string>();
    let allNew = true;
    for (let i = 0; i < 30 && allNew; i++) {
      const r = await get(GATEWAY);
      last = `${r.status} ${r.body.trim()}`;
      if (r.status !== 200 || !r.body.startsWith(`${version} `)) allNew = false;
      else seen.add(r.body.trim());
    }
    if (allNew && seen.size === pods) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`the gateway did not reach ${version} on ${pods} pod(s) in ${timeoutMs} ms (last answer: ${last})\n${mesh?.output().slice(-3000)}`);
}

/** Runs `steps` under 200 rps through the gateway (load from 1.5 s before to 1.5 s after them) and returns what the load saw. */
async function underLoad(steps: () => Promise<void>): Promise<SteadyLoadResult> {
  // The duration is only an upper bound: the load is ended once the steps are done.
  const load = startSteadyLoad(GATEWAY, { qps: 200, seconds: 150 });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await steps();
    await new Promise((r) => setTimeout(r, 1500));
  } catch (err) {
    load.kill();
    throw err;
  }
  load.finish();
  return load.done;
}

function assertNoFailure(what: string, r: SteadyLoadResult): void {
  assert.ok(r.calls >= 600, `${what}: only ${r.calls} calls were made\n${r.log}`);
  assert.equal(r.failed, 0, `${what}: ${r.failed} of ${r.calls} requests failed; codes ${JSON.stringify(r.codes)}\n${r.log}`);
}

test('one replica rolls out three times under 200 rps: no failed request', async (t) => {
  await waitForState('r0', 1);
  const r = await underLoad(async () => {
    for (const v of ['a1', 'a2', 'a3']) {
      await apply(deployment(1, v));
      await waitForState(v, 1);
    }
  });
  t.diagnostic(`${r.calls} calls, codes ${JSON.stringify(r.codes)}`);
  assertNoFailure('1 replica, 3 rollouts', r);
});

test('three replicas with maxUnavailable 0 roll out three times under 200 rps: no failed request', async (t) => {
  await apply(deployment(3, 'b0', MAX_UNAVAILABLE_0));
  await waitForState('b0', 3);
  const r = await underLoad(async () => {
    for (const v of ['b1', 'b2', 'b3']) {
      await apply(deployment(3, v, MAX_UNAVAILABLE_0));
      await waitForState(v, 3);
    }
  });
  t.diagnostic(`${r.calls} calls, codes ${JSON.stringify(r.codes)}`);
  assertNoFailure('3 replicas maxUnavailable 0, 3 rollouts', r);
});

test('scaling 1 → 3 → 1 twice under 200 rps: no failed request', async (t) => {
  await apply(deployment(1, 'c0'));
  await waitForState('c0', 1);
  const r = await underLoad(async () => {
    for (let i = 0; i < 2; i++) {
      await apply(deployment(3, 'c0'));
      await waitForState('c0', 3);
      await apply(deployment(1, 'c0'));
      await waitForState('c0', 1);
    }
  });
  t.diagnostic(`${r.calls} calls, codes ${JSON.stringify(r.codes)}`);
  assertNoFailure('scale 1→3→1 twice', r);
});

/** The Deployment of test 4: warm-up, readinessProbe on /ready, preStop on /prestop. */
function probedDeployment(version: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: example/web
        command: [node, app.mjs]
        env: [{name: VERSION, value: ${version}}, {name: WARMUP_MS, value: "1500"}]
        ports: [{name: http, containerPort: 9080}]
        readinessProbe:
          httpGet: {path: /ready, port: http}
          periodSeconds: 1
        lifecycle:
          preStop:
            httpGet: {path: /prestop, port: http}
`;
}

test('readinessProbe and preStop: a warming-up app gets traffic only once ready; preStop runs before SIGTERM', async (t) => {
  await apply(probedDeployment('d0'));
  await waitForState('d0', 1);
  const r = await underLoad(async () => {
    for (const v of ['d1', 'd2']) {
      await apply(probedDeployment(v));
      await waitForState(v, 1);
    }
  });
  t.diagnostic(`${r.calls} calls, codes ${JSON.stringify(r.codes)}`);
  assertNoFailure('readinessProbe rollouts', r);
  // The old pods (d0, d1) each got their preStop hook, then SIGTERM (bounded wait for d1's to be logged).
  let log = '';
  for (let i = 0; i < 100; i++) {
    log = await readFile(path.join(stateDir, 'logs', 'web-0.log'), 'utf8');
    if (/sigterm d1/.test(log)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  for (const v of ['d0', 'd1']) {
    const pre = log.indexOf(`prestop ${v}\n`);
    const term = log.indexOf(`sigterm ${v}\n`);
    assert.ok(pre >= 0 && term > pre, `${v}: preStop (at ${pre}) must come before SIGTERM (at ${term}) in:\n${log.slice(-2000)}`);
  }
  assert.doesNotMatch(log, /sigterm d2/, 'the serving pod is left alone');
});
