/**
 * End to end: a gateway proxy keeps serving on its last config while the control plane is killed
 * (SIGKILL), and resynchronizes when the control plane comes back (issue 3's "done when").
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';
import { SHOWN_TYPES, proxyDisplayName, shownState, waitForSync } from '../harness/sync-status.js';

const GW_PORT = 18280;
const XDS_PORT = 18210;
const API_PORT = 18214;
const SERVER = `http://127.0.0.1:${API_PORT}`;

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: echo-1}
spec: {address: 127.50.0.2, labels: {app: echo}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${GW_PORT}, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  http:
  - route:
    - destination: {host: echo}
`;

const procs: WeftProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  closeClients();
  for (const c of cleanups) await c();
});

async function startControl(config: string, state: string): Promise<WeftProcess> {
  const p = startWeft(['control', '--config', config, '--state', state, '--xds-port', '0', '--insecure-xds-port', String(XDS_PORT), '--http-port', String(API_PORT), '--debounce', '20']);
  procs.push(p);
  await p.waitFor(/xDS on 127\.0\.0\.1:\d+/);
  return p;
}

test('traffic keeps flowing on the last config while the control plane is down; a restart resyncs', async () => {
  const upstream = http.createServer((req, res) => res.end(`echo ${req.url}\n`));
  await new Promise<void>((r) => upstream.listen(9080, '127.50.0.2', () => r()));
  cleanups.push(() => new Promise((r) => upstream.close(() => r())));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-restart-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config');
  const state = path.join(dir, 'state');
  await mkdir(config);
  await writeFile(path.join(config, 'mesh.yaml'), CONFIG);

  let control = await startControl(config, state);
  const gateway = startWeft(['proxy', '--role', 'gateway', '--ip', '127.50.0.1', '--gateway-host', '127.0.0.1', '--pod', 'gw-0', '--namespace', 'istio-system',
    '--labels', 'istio=ingressgateway', '--xds', `127.0.0.1:${XDS_PORT}`]);
  procs.push(gateway);
  const url = `http://127.0.0.1:${GW_PORT}/hello`;
  await waitFor(async () => (await get(url)).status === 200);

  control.child.kill('SIGKILL');
  await control.stop();
  for (let i = 0; i < 50; i++) {
    const r = await get(url);
    assert.equal(r.status, 200, `request ${i} while the control plane is down: ${r.status} ${r.body}${r.error ?? ''}`);
    assert.equal(r.body, 'echo /hello\n');
  }

  control = await startControl(config, state);
  await waitForSync(SERVER, state, (s) => s.proxies.some((p) => proxyDisplayName(p.id) === 'gw-0.istio-system' && SHOWN_TYPES.every((t) => shownState(p, t) === 'SYNCED')), 'gw-0 to sync', { timeoutMs: 30_000 });
  // A change after the restart reaches the proxy.
  const applied = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', state], {
    input: CONFIG.split('---\n')[3]!.replace('  - route:', '  - headers: {response: {set: {x-after-restart: "yes"}}}\n    route:'),
  });
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor(async () => (await get(url)).headers['x-after-restart'] === 'yes');
});

async function waitFor(cond: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
