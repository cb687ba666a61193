/**
 * VirtualService `retries.retryRemoteLocalities` (issue 12) through a real sidecar: istiod adds
 * Envoy's `previous_priorities` retry priority (updateFrequency 2) when it is true, so once two
 * attempts have been made in the caller's locality the next retry goes to the next locality; when
 * false every attempt stays in the local priority level (route.go, translateRetryPolicy).
 *
 * The caller's sidecar is in r1/z-a; `web` has one endpoint in z-a that answers 503 to everything
 * and one in z-b that answers 200. The DestinationRule has outlier detection (so locality failover
 * priorities are on, as Istio requires) with a threshold never reached, so z-a is never ejected and
 * only the retry policy can leave it. Each backend counts its requests exactly.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { run, startMesh, startSidecar, stopAll, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';
import { portOf } from '../harness/ports.js';

const CALLER = '127.0.203.31';
const ZONE_A = '127.0.203.61';
const ZONE_B = '127.0.203.62';
const PORT = portOf(import.meta.url); // 19470, test/harness/ports.ts

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: ${PORT}, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-a}
spec: {address: ${ZONE_A}, labels: {app: web}, locality: r1/z-a}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-b}
spec: {address: ${ZONE_B}, labels: {app: web}, locality: r1/z-b}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1000, interval: 10s, baseEjectionTime: 30s}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /remote}}]
    retries: {attempts: 3, retryOn: 5xx, retryRemoteLocalities: true}
    route: [{destination: {host: web}}]
  - retries: {attempts: 3, retryOn: 5xx, retryRemoteLocalities: false}
    route: [{destination: {host: web}}]
`;

let mesh: Mesh;
let caller: ProxyHandle | undefined;
const hits = { a: 0, b: 0 };
const servers: http.Server[] = [];

function backend(ip: string, zone: 'a' | 'b'): Promise<void> {
  const s = http.createServer((req, res) => {
    hits[zone]++;
    res.statusCode = zone === 'a' ? 503 : 200;
    res.end(`z-${zone}`);
  });
  servers.push(s);
  return new Promise((resolve, reject) => s.once('error', reject).listen(PORT, ip, () => resolve()));
}

async function call(p: string): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', '-x', `http://${CALLER}:${caller!.outboundPort()}`, `http://web:${PORT}${p}`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  await backend(ZONE_A, 'a');
  await backend(ZONE_B, 'b');
  mesh = await startMesh({ 'config.yaml': CONFIG });
  caller = await startSidecar(mesh, {
    ip: CALLER, pod: 'sleep-0', sa: 'sleep',
    labels: { app: 'sleep', 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z-a' },
  });
  await waitUntil(() => caller!.snapshot().clusters.get(`outbound|${PORT}||web.default.svc.cluster.local`)?.hostSet.hosts.length === 2, 'both endpoints on the caller');
});

after(async () => {
  await stopAll(mesh, [caller], servers);
});

test('retryRemoteLocalities true: after two attempts in the local zone the retry goes to the other locality', async () => {
  hits.a = 0;
  hits.b = 0;
  const n = 5;
  for (let i = 0; i < n; i++) assert.equal(await call(`/remote/${i}`), 'z-b 200');
  // Each request: the first attempt and the first retry in z-a (updateFrequency 2), then z-b.
  assert.deepEqual(hits, { a: 2 * n, b: n });
});

test('retryRemoteLocalities false: every attempt stays in the local zone', async () => {
  hits.a = 0;
  hits.b = 0;
  const n = 5;
  for (let i = 0; i < n; i++) assert.equal(await call(`/local/${i}`), 'z-a 503');
  // 1 + 3 retries, all in z-a; z-b is never tried.
  assert.deepEqual(hits, { a: 4 * n, b: 0 });
});
