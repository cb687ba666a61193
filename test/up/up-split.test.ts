/**
 * End to end (issue 3's "done when"): `weft up` on a directory with one service in two
 * Deployments, a Gateway and a VirtualService (jason → v2, others 80/20), real processes on
 * loopback: routing by header, the 80/20 split within 3σ, a weight change applied with
 * `weft apply` while load runs (no failed request), orphan-free shutdown even after SIGKILL.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';

const HTTP_PORT = 18180;
const XDS_PORT = 18110;
const API_PORT = 18114;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}/`;

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  closeClients();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** State directory of the running mesh (its API token is there). */
let apiState = '';

async function upMesh(): Promise<{ mesh: WeftProcess; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-up-'));
  dirs.push(dir);
  apiState = path.join(dir, '.state');
  await cp(path.join(REPO_ROOT, 'test/up/fixtures/split'), dir, { recursive: true });
  const mesh = startWeft(['up', dir, '--state', path.join(dir, '.state'), '--http-port', String(HTTP_PORT), '--xds-port', String(XDS_PORT), '--api-port', String(API_PORT), '--ca-port', '18112', '--pod-net', '40']);
  procs.push(mesh);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s: gateway http:\/\/127\.0\.0\.1:18180/, 60_000);
  return { mesh, dir };
}

const VS = (w1: number, w2: number, tag: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: web, subset: v2}
  - headers:
      response:
        set: {x-route: ${tag}}
    route:
    - destination: {host: web, subset: v1}
      weight: ${w1}
    - destination: {host: web, subset: v2}
      weight: ${w2}
`;

test('weft up: jason always reaches v2, others split 80/20, a live weight change loses no request', async (t) => {
  const { mesh } = await upMesh();

  for (let i = 0; i < 50; i++) {
    const r = await get(GATEWAY, { 'end-user': 'jason' });
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /^v2 web-v2-0 end-user=jason/);
  }

  // 1,000 requests from everyone else: v2 share within 3σ of 20 %.
  let v2 = 0;
  const N = 1000;
  const worker = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await get(GATEWAY);
      assert.equal(r.status, 200, r.body);
      if (r.body.startsWith('v2 ')) v2++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker(N / 8)));
  const sigma = Math.sqrt(N * 0.2 * 0.8);
  t.diagnostic(`v2 share: ${v2}/${N} (expected 200 ± ${(3 * sigma).toFixed(0)})`);
  assert.ok(Math.abs(v2 - N * 0.2) <= 3 * sigma, `v2 got ${v2} of ${N}`);

  // Load through the gateway while `weft apply` moves everything to v2.
  let stop = false;
  let failures = 0;
  let total = 0;
  let appliedAt = 0;
  let firstNewRouteAt = 0;
  let v1AfterSwitch = 0;
  // Each of 8 workers paces itself to ~50 requests/s: ~400 rps in all, above the 200 rps asked for.
  const loadWorker = async () => {
    let next = performance.now();
    while (!stop) {
      next += 20;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r = await get(GATEWAY);
      total++;
      if (r.status !== 200) failures++;
      const now = performance.now();
      if (appliedAt > 0 && r.headers['x-route'] === 'all-v2' && firstNewRouteAt === 0) firstNewRouteAt = now;
      if (firstNewRouteAt > 0 && now - firstNewRouteAt > 2000 && r.body.startsWith('v1 ')) v1AfterSwitch++;
    }
  };
  const started = performance.now();
  const workers = Array.from({ length: 8 }, loadWorker);
  await new Promise((r) => setTimeout(r, 1000));
  appliedAt = performance.now();
  const applied = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', apiState], { input: VS(0, 100, 'all-v2') });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'virtualservice.networking.istio.io/web configured');
  await new Promise((r) => setTimeout(r, 3500));
  stop = true;
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`load: ${total} requests in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(0)} rps), ${failures} failed; apply → first request on the new route: ${(firstNewRouteAt - appliedAt).toFixed(0)} ms`);
  assert.ok(total / seconds >= 200, `load ran at ${(total / seconds).toFixed(0)} rps`);
  assert.equal(failures, 0);
  assert.ok(firstNewRouteAt > 0, 'the new route served requests');
  assert.equal(v1AfterSwitch, 0, 'no v1 responses 2 s after the switch');

  // proxy-status shows every proxy synced.
  const status = await runWeft(['proxy-status', '--server', SERVER, '--state', apiState]);
  assert.equal(status.code, 0, status.stderr);
  for (const pod of ['istio-ingressgateway-0.istio-system', 'web-v1-0.default', 'web-v2-0.default']) {
    assert.match(status.stdout, new RegExp(`^${pod.replace(/\./g, '\\.')}\\s+\\S+\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED`, 'm'));
  }

  // proxy-config reads each proxy's live config through its admin endpoint.
  const clusters = await runWeft(['proxy-config', 'clusters', 'web-v1-0', '--server', SERVER, '--state', apiState]);
  assert.equal(clusters.code, 0, clusters.stderr);
  assert.match(clusters.stdout, /^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE$/m);
  assert.match(clusters.stdout, /^web\.default\.svc\.cluster\.local\s+9080\s+v2\s+outbound\s+EDS\s+web\.default$/m);
  const routes = await runWeft(['proxy-config', 'routes', 'istio-ingressgateway-0.istio-system', '--server', SERVER, '--state', apiState]);
  assert.match(routes.stdout, /^http\.18180\s+\S+\s+.*\s+web\.default$/m);
  const endpoints = await runWeft(['proxy-config', 'endpoints', 'istio-ingressgateway-0.istio-system', '--server', SERVER, '--state', apiState]);
  assert.match(endpoints.stdout, /^127\.40\.0\.\d+:9080\s+HEALTHY\s+OK\s+outbound\|9080\|v2\|web\.default\.svc\.cluster\.local$/m);
  const listeners = await runWeft(['proxy-config', 'listeners', 'web-v2-0', '--server', SERVER, '--state', apiState]);
  // PERMISSIVE (the default): a TLS chain and a plaintext chain per inbound port, as istiod emits.
  assert.match(listeners.stdout, /^0\.0\.0\.0\s+15006\s+port 9080; Trans: tls\s+Inline Route: inbound\|9080\|\|$/m);
  assert.match(listeners.stdout, /^0\.0\.0\.0\s+15006\s+port 9080; Trans: raw_buffer\s+Inline Route: inbound\|9080\|\|$/m);
  // Every proxy holds a workload certificate for its SPIFFE identity.
  const secrets = await runWeft(['proxy-config', 'secrets', 'web-v1-0', '--server', SERVER, '--state', apiState]);
  assert.equal(secrets.code, 0, secrets.stderr);
  assert.match(secrets.stdout, /^default\s+.*spiffe:\/\/cluster\.local\/ns\/default\/sa\/default/m);
  assert.match(secrets.stdout, /^ROOTCA\s+/m);

  // weft exec runs curl (the real binary) inside the mesh, through web-v1-0's sidecar.
  const exec = await runWeft(['exec', 'web-v1', '--server', SERVER, '--state', apiState, '--', 'curl', '-sS', '-H', 'end-user: exec', 'http://web:9080/']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.match(exec.stdout, /^v[12] web-v[12]-0 end-user=exec$/m);

  // SIGKILL of weft up takes every child with it.
  const pid = mesh.child.pid!;
  const children = childPids(pid);
  assert.ok(children.length >= 5, `children: ${children.join(',')}`);
  process.kill(pid, 'SIGKILL');
  await mesh.stop();
  const deadline = Date.now() + 5000;
  while (children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(children.filter(alive), [], 'no orphan survives');
});

function childPids(parent: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
  const all = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const result: number[] = [];
  const walk = (p: number) => {
    for (const [pid, ppid] of all) if (ppid === p) {
      result.push(pid);
      walk(pid);
    }
  };
  walk(parent);
  return result;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
