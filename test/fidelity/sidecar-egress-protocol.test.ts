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
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { run, startMesh, startSidecar, stopAll, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';
import { portOf } from '../harness/ports.js';

const DECLARED = '127.0.216.14';
const OTHER = '127.0.216.15';
const BACKEND = '127.0.216.51';
const PORT = portOf(import.meta.url); // 19430, test/harness/ports.ts

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

let mesh: Mesh;
const proxies: ProxyHandle[] = [];
const backend = http.createServer((req, res) => res.end(`backend ${req.url}`));

async function curlThrough(proxy: ProxyHandle, ip: string, p: string): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', '-p', '-x', `http://${ip}:${proxy.outboundPort()}`, `http://web:${PORT}${p}`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  await new Promise<void>((resolve, reject) => backend.once('error', reject).listen(PORT, BACKEND, () => resolve()));
  mesh = await startMesh({ 'config.yaml': CONFIG });
  for (const [ip, app] of [[DECLARED, 'sleep'], [OTHER, 'other']] as const) {
    const p = await startSidecar(mesh, { ip, pod: `${app}-0`, sa: app, labels: { app } });
    proxies.push(p);
    await waitUntil(() => p.snapshot().clusters.get(`outbound|${PORT}||web.default.svc.cluster.local`)?.hostSet.hosts.length === 1, `endpoints on ${app}`);
  }
});

after(async () => {
  await stopAll(mesh, proxies, [backend]);
});

test('Sidecar egress port.protocol TCP: the selected workload proxies the port as opaque TCP (no HTTP fault)', async () => {
  assert.equal(await curlThrough(proxies[0]!, DECLARED, '/declared'), 'backend /declared 200');
});

test('Sidecar egress port.protocol: a workload the Sidecar does not select keeps HTTP routing (fault 418)', async () => {
  assert.match(await curlThrough(proxies[1]!, OTHER, '/other'), / 418$/);
});
