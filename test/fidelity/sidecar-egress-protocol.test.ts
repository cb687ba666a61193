/**
 * Sidecar `egress[].port.protocol` (issue 12): istiod builds the egress listener's port with the
 * protocol the Sidecar declares, not the services' own (pilot/pkg/networking/core/listener.go,
 * `listenPort.Protocol`). Here a Service port without a protocol (detected: HTTP gets the
 * VirtualService's fault) is declared `TCP` by the Sidecar of one workload: its sidecar proxies the
 * same request as opaque TCP (no HTTP rule applies), while a workload the Sidecar does not select
 * still gets HTTP routing. Weft used to ignore the declared protocol.
 *
 * Real sockets: an in-process control plane, two real sidecars, an HTTP backend, curl through a
 * CONNECT tunnel (`-p -x`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ControlPlane } from '../../src/control/control-plane.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

const DECLARED = '127.0.216.14';
const OTHER = '127.0.216.15';
const BACKEND = '127.0.216.51';
const PORT = 19430;

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: ${PORT}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-1}
spec: {address: ${BACKEND}, labels: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: web}}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep-egress}
spec:
  workloadSelector: {labels: {app: sleep}}
  egress:
  - port: {number: ${PORT}, protocol: TCP, name: tcp-web}
    hosts: ['./*']
  - hosts: ['./*']
`;

let dir = '';
let cp: ControlPlane;
const proxies: ProxyHandle[] = [];
const backend = http.createServer((req, res) => res.end(`backend ${req.url}`));

function curlThrough(proxy: ProxyHandle, ip: string, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', '-p', '-x', `http://${ip}:${proxy.outboundPort()}`, `http://web:${PORT}${p}`],
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-egress-proto-'));
  await writeFile(path.join(dir, 'config.yaml'), CONFIG);
  await new Promise<void>((resolve, reject) => backend.once('error', reject).listen(PORT, BACKEND, () => resolve()));
  cp = new ControlPlane({ store: { watchDir: dir, debounceMs: 20 }, insecureXdsPort: 0, httpPort: 0 });
  const { insecureXdsPort: xdsPort } = await cp.start();
  for (const [ip, app] of [[DECLARED, 'sleep'], [OTHER, 'other']] as const) {
    const p = await startProxy({
      role: 'sidecar', ip, podName: `${app}-0`, namespace: 'default', labels: { app },
      xds: `127.0.0.1:${xdsPort}`, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
    });
    proxies.push(p);
    await p.ready();
    await waitUntil(() => p.snapshot().clusters.get(`outbound|${PORT}||web.default.svc.cluster.local`)?.hostSet.hosts.length === 1, `endpoints on ${app}`);
  }
});

after(async () => {
  for (const p of proxies) await p.stop(500);
  await cp?.stop();
  await new Promise<void>((r) => backend.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('Sidecar egress port.protocol TCP: the selected workload proxies the port as opaque TCP (no HTTP fault)', async () => {
  assert.equal(await curlThrough(proxies[0]!, DECLARED, '/declared'), 'backend /declared 200');
});

test('Sidecar egress port.protocol: a workload the Sidecar does not select keeps HTTP routing (fault 418)', async () => {
  assert.match(await curlThrough(proxies[1]!, OTHER, '/other'), / 418$/);
});
