/**
 * DestinationRule `loadBalancer.zoneAwareLbSetting` (istio/api 1.31, issue 12) through a real
 * sidecar: Envoy's zone-aware routing over the caller's own distribution (Envoy's local cluster,
 * which Weft's control plane derives from the caller's workload).
 *
 * The caller (`sleep`) runs in r1/z-a; its workload has one instance in z-a and one in z-b (50 % of
 * the local cluster in z-a). `web` has 1 endpoint in z-a and 3 in z-b (25 % of the upstream in z-a):
 * fewer than the local share, so Envoy keeps 25/50 = 50 % of the requests in z-a and sends the rest
 * to z-b's residual capacity; a plain pick (round robin) gives z-a 25 %. `web-big` is the same
 * endpoints with `minClusterSize: 5`, above its 4 endpoints: no zone awareness, 25 %.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startMesh, startSidecar, stopAll, viaSidecar, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';
import { portOf } from '../harness/ports.js';

const CALLER = '127.0.203.71';
const CALLER_B = '127.0.203.72';
const WEB = [['127.0.203.81', 'z-a'], ['127.0.203.82', 'z-b'], ['127.0.203.83', 'z-b'], ['127.0.203.84', 'z-b']] as const;
const PORT = portOf(import.meta.url); // 19440, test/harness/ports.ts

const entries = WEB.map(([ip, zone], i) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-${i}}
spec: {address: ${ip}, labels: {app: web}, locality: r1/${zone}}
`).join('');

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: ${PORT}, name: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-big}
spec: {selector: {app: web}, ports: [{port: ${PORT}, name: http}]}
${entries}---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: sleep-a}
spec: {address: ${CALLER}, labels: {app: sleep}, locality: r1/z-a}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: sleep-b}
spec: {address: ${CALLER_B}, labels: {app: sleep}, locality: r1/z-b}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      zoneAwareLbSetting: {enabled: true, minClusterSize: 1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web-big}
spec:
  host: web-big
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      zoneAwareLbSetting: {enabled: true, minClusterSize: 5}
`;

let mesh: Mesh;
let caller: ProxyHandle | undefined;
const servers: http.Server[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Zone of each of `n` sequential answers from `host`; every answer must be 200. */
async function zoneShares(host: string, n: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await viaSidecar(caller!, CALLER, `http://${host}:${PORT}/${i}`, agent);
    assert.equal(r.status, 200, `answer ${i}: ${r.status} ${r.body}`);
    out.set(r.body, (out.get(r.body) ?? 0) + 1);
  }
  return out;
}

before(async () => {
  for (const [ip, zone] of WEB) {
    const s = http.createServer((_req, res) => res.end(zone));
    servers.push(s);
    await new Promise<void>((resolve, reject) => s.once('error', reject).listen(PORT, ip, () => resolve()));
  }
  mesh = await startMesh({ 'config.yaml': CONFIG });
  caller = await startSidecar(mesh, {
    ip: CALLER, pod: 'sleep-a', sa: 'sleep',
    labels: { app: 'sleep', 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z-a' },
  });
  for (const host of ['web', 'web-big']) {
    await waitUntil(() => caller!.snapshot().clusters.get(`outbound|${PORT}||${host}.default.svc.cluster.local`)?.hostSet.hosts.length === 4, `endpoints of ${host}`);
  }
});

after(async () => {
  agent.destroy();
  await stopAll(mesh, [caller], servers);
});

test('zoneAwareLbSetting: the caller zone has fewer endpoints than its share, so Envoy keeps 50 % local and spills the rest (a plain pick gives 25 %)', async (t) => {
  const n = 300;
  const s = await zoneShares('web', n);
  t.diagnostic(`web: ${JSON.stringify([...s])}`);
  const a = s.get('z-a') ?? 0;
  assert.equal(a + (s.get('z-b') ?? 0), n);
  // Binomial(300, 0.5): sd ≈ 8.7; a wide ±40 (≈ 4.6 sd) still excludes the plain 25 % (75).
  assert.ok(Math.abs(a - n / 2) <= 40, `z-a share ${a}/${n}, expected about 50 %`);
});

test('zoneAwareLbSetting minClusterSize above the endpoint count: no zone awareness, round robin over all four (25 % in z-a)', async (t) => {
  const n = 200;
  const s = await zoneShares('web-big', n);
  t.diagnostic(`web-big: ${JSON.stringify([...s])}`);
  const a = s.get('z-a') ?? 0;
  assert.equal(a + (s.get('z-b') ?? 0), n);
  assert.ok(Math.abs(a - n / 4) <= 15, `z-a share ${a}/${n}, expected 25 %`);
});
