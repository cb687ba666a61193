/**
 * Issue 11, Deliver 1 and 2 end to end: a running `weft up` mesh under steady load (weft load,
 * its own process) while hostile files are dropped into its watched directory — the 769-byte
 * alias bomb, an invalid YAML, a 100,000-document file, and a broken edit of the live
 * VirtualService's own file. The gateway must answer every request (0 failed), the terminal must
 * name each file and line once, the last good VirtualService must stay in effect, and removing the
 * files must restore normal service. Then the real `sed -i`, `mv` and `rm` on the VirtualService's
 * file must each change what the gateway answers within 1 s. The mesh also starts with a bad file
 * present, and must say so.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';
import { startSteadyLoad } from '../helpers/steady-load.js';

const HTTP_PORT = 19139;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}/`;

const MESH = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: example/web
        command: [node, app.mjs]
        env: [{name: VERSION, value: v1}]
        ports: [{containerPort: 9080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - headers:
      response:
        set: {x-route: route-one}
    route:
    - destination: {host: web}
`;

/** The alias bomb of the issue: 9 levels of 9 references (9^9 nodes) in 769 bytes. */
const BOMB = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bomb}
spec:
  hosts: ["*"]
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

const INVALID = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: invalid}
spec:
  hosts: ["*"
  http: [
`;

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  closeClients();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Occurrences of `s` in the mesh's output. */
const count = (mesh: WeftProcess, s: string) => mesh.output().split(s).length - 1;

/** Polls the gateway until `ok(status, x-route)`; returns the ms it took (fails after `limitMs`). */
async function gatewayUntil(ok: (status: number, route: string | undefined) => boolean, what: string, limitMs = 10_000): Promise<number> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const r = await get(GATEWAY);
    const route = r.headers['x-route'] as string | undefined;
    if (ok(r.status, route)) return Date.now() - started;
    last = `${r.status} x-route=${route}`;
    if (Date.now() - started > limitMs) assert.fail(`${what}: not seen within ${limitMs} ms (last: ${last})`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

test('hostile files in a running mesh: 0 failed requests, each file and line on the terminal, last good kept; sed -i, mv, rm take effect within 1 s', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-input-'));
  dirs.push(root);
  const dir = path.join(root, 'mesh');
  const outside = path.join(root, 'outside');
  await mkdir(dir);
  await mkdir(outside);
  await copyFile(path.join(REPO_ROOT, 'test/up/fixtures/split/app.mjs'), path.join(dir, 'app.mjs'));
  await writeFile(path.join(dir, 'mesh.yaml'), MESH);
  const vsFile = path.join(dir, 'vs.yaml');
  await writeFile(vsFile, VS);
  // Bad from the start: weft up must start anyway and say so.
  const atStart = path.join(dir, 'at-start.yaml');
  await writeFile(atStart, INVALID);

  const mesh = startWeft(['up', dir, '--state', path.join(root, 'state'), '--http-port', String(HTTP_PORT), '--xds-port', '19130', '--api-port', '19134', '--pod-net', '20']);
  procs.push(mesh);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
  await mesh.waitFor(/started with 1 file\(s\) that do not load/);
  assert.match(mesh.output(), new RegExp(`${atStart}:\\d+:\\d+: Error \\[WFT0001\\] YAML syntax error`));
  assert.match(mesh.output(), new RegExp(`${atStart}: not loaded \\(errors above\\): it has no good version yet and contributes nothing`));
  await gatewayUntil((s, route) => s === 200 && route === 'route-one', 'initial route', 30_000);

  // --- Hostile files under steady load: not one request may fail. ---
  const load = startSteadyLoad(GATEWAY, { qps: 100, seconds: 14, connections: 4 });
  await new Promise((r) => setTimeout(r, 1500));
  const bomb = path.join(dir, 'bomb.yaml');
  const invalid = path.join(dir, 'invalid.yaml');
  const many = path.join(dir, 'many.yaml');
  await writeFile(bomb, BOMB);
  await mesh.waitFor(new RegExp(`${bomb}:1:1: Error \\[WFT0015\\] YAML document cannot be expanded: Excessive alias count`));
  await writeFile(invalid, INVALID);
  await mesh.waitFor(new RegExp(`${invalid}:\\d+:\\d+: Error \\[WFT0001\\] YAML syntax error`));
  const doc = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n';
  await writeFile(many, Array.from({ length: 100_000 }, () => doc).join('---\n'));
  // The 10,001st document starts at the marker on line 4 × 10,000.
  await mesh.waitFor(new RegExp(`${many}:40000:1: Error \\[WFT0013\\] more than 10,000 documents in one file`));
  // The live VirtualService's own file broken: its last good version stays in effect.
  await writeFile(vsFile, VS.replace('route-one', 'route-broken').replace('hosts: ["*"]', 'hosts: ["*"'));
  await mesh.waitFor(new RegExp(`${vsFile}: not loaded \\(errors above\\): its last good version stays in effect`));
  await gatewayUntil((s, route) => s === 200 && route === 'route-one', 'last good VirtualService during the broken edit', 2000);
  // Remove the hostile files and restore the VirtualService: normal service, said on the terminal.
  await rm(bomb);
  await rm(invalid);
  await rm(many);
  await writeFile(vsFile, VS);
  await mesh.waitFor(new RegExp(`${many}: removed`));
  await mesh.waitFor(new RegExp(`${vsFile}: loads without errors again`));
  const result = await load.done;
  t.diagnostic(`steady load during hostile files: ${result.calls} calls, codes ${JSON.stringify(result.codes)}`);
  assert.ok(result.calls >= 1000, `load ran: ${result.calls} calls`);
  assert.equal(result.failed, 0, `failed requests: ${JSON.stringify(result.codes)}\n${result.log}`);
  // Each problem was printed once, not at every rescan.
  for (const f of [bomb, invalid, many, atStart]) assert.equal(count(mesh, `${f}: not loaded`), 1, `${f} reported once:\n${mesh.output()}`);

  // --- sed -i, mv, rm on the VirtualService's file: each within 1 s through the gateway. ---
  execFileSync('sed', ['-i', 's/route-one/route-two/', vsFile]);
  const sedMs = await gatewayUntil((s, route) => route === 'route-two', 'sed -i');
  execFileSync('mv', [vsFile, path.join(outside, 'vs.yaml')]);
  const mvOutMs = await gatewayUntil((s) => s === 404, 'mv out (no route: 404)');
  execFileSync('mv', [path.join(outside, 'vs.yaml'), vsFile]);
  const mvInMs = await gatewayUntil((s, route) => s === 200 && route === 'route-two', 'mv back in');
  execFileSync('sed', ['-i', 's/route-two/route-three/', vsFile]);
  const sedAgainMs = await gatewayUntil((s, route) => route === 'route-three', 'sed -i after mv');
  execFileSync('rm', [vsFile]);
  const rmMs = await gatewayUntil((s) => s === 404, 'rm');
  const seen = { sedMs, mvOutMs, mvInMs, sedAgainMs, rmMs };
  t.diagnostic(`ms until the gateway answered differently: ${JSON.stringify(seen)}`);
  for (const [k, ms] of Object.entries(seen)) assert.ok(ms <= 1000, `${k}: ${ms} ms (the issue's bound is 1 s)`);
  // at-start.yaml was never fixed: still reported once, after all those changes.
  assert.equal(count(mesh, `${atStart}: not loaded`), 1);
});
