/**
 * Certificate rotation under load (real TLS on loopback): both sidecars get 6 s certificates, so
 * each renews about every 5 s (80 % of the lifetime) with a fresh key. Requests flow through the
 * pair for ~13 s, mixing keep-alive and new downstream connections and concurrent bursts that open
 * new upstream connections: none may fail. After a rotation, new upstream connections present the
 * new certificate, and the control plane's SDS `default` follows the new serial.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { ProxyHandle } from '../../../src/proxy/proxy.js';
import { echoApp, startMesh, startSidecar, stopAll, viaSidecar, waitUntil, type Mesh } from './mesh-fixture.js';

const CLIENT = '127.0.0.101';
const SERVER = '127.0.0.102';
const APP = '127.0.0.103';
const PORT = 8002;
const TTL_MS = 6000;
const CLUSTER = 'outbound|8002||echo.default.svc.cluster.local';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: ${PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: echo-0}
spec:
  address: ${SERVER}
  serviceAccount: echo
  labels: {app: echo, security.istio.io/tlsMode: istio}
  ports: {http: ${PORT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec:
  mtls: {mode: STRICT}
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: ProxyHandle;
let app: http.Server;

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY });
  app = await echoApp(APP, PORT, 'echo');
  server = await startSidecar(mesh, { ip: SERVER, pod: 'echo-0', sa: 'echo', labels: { app: 'echo', 'security.istio.io/tlsMode': 'istio' }, appAddress: APP, ttlMs: TTL_MS });
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-2', sa: 'sleep', labels: { app: 'sleep' }, ttlMs: TTL_MS });
  await waitUntil(() => (client.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'endpoints');
  await waitUntil(() => server.ports().inbound.has(PORT), 'inbound port');
});

after(async () => {
  await stopAll(mesh, [client, server], app ? [app] : []);
});

test('certificates rotate under load with no failed request', { timeout: 40_000 }, async () => {
  const firstSerial = client.tls.secrets.workloadCertificate()!.serial;
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const failures: string[] = [];
  let ok = 0;
  const end = Date.now() + 13_000;
  let round = 0;
  while (Date.now() < end) {
    round++;
    const burst = round % 10 === 0 ? 8 : 1;
    const results = await Promise.allSettled(
      Array.from({ length: burst }, (_, i) => viaSidecar(client, CLIENT, `http://echo:${PORT}/r${round}-${i}`, i % 2 === 0 ? keepAlive : undefined)),
    );
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value.status === 200) ok++;
      else failures.push(r.status === 'fulfilled' ? `${r.value.status} ${r.value.body}` : String(r.reason));
    }
    if (round % 25 === 0) {
      // Pool turnover: idle upstream connections close, so the next requests handshake again.
      for (const c of client.snapshot().clusters.values()) for (const h of c.hosts.values()) h.agent.closeIdle();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  keepAlive.destroy();
  assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`);
  assert.ok(ok > 100, `only ${ok} requests`);
  assert.ok(client.tls.identity!.renewals >= 2, `client renewed ${client.tls.identity!.renewals} times`);
  assert.ok(server.tls.identity!.renewals >= 2, `server renewed ${server.tls.identity!.renewals} times`);
  assert.notEqual(client.tls.secrets.workloadCertificate()!.serial, firstSerial);
});

test('after a rotation new upstream connections present the new certificate; SDS follows', { timeout: 20_000 }, async () => {
  const cur = client.tls.secrets.workloadCertificate()!;
  for (const c of client.snapshot().clusters.values()) for (const h of c.hosts.values()) h.agent.closeIdle();
  const r = await viaSidecar(client, CLIENT, `http://echo:${PORT}/fresh`);
  assert.equal(r.status, 200, r.body);
  const xfcc = (JSON.parse(r.body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert'] ?? '';
  const presented = /Hash=([0-9a-f]+)/.exec(xfcc)?.[1];
  const current = client.tls.secrets.workloadCertificate()!;
  const hashes = [cur, current].map((c) => createHash('sha256').update(new X509Certificate(c.chainPems[0]!).raw).digest('hex'));
  assert.ok(presented !== undefined && hashes.includes(presented), 'server saw the current client certificate');
  await waitUntil(() => {
    const sds = client.ads.resources('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret').get('default') as { tlsCertificate?: { certificateChain?: { inlineString?: string } } } | undefined;
    const pem = sds?.tlsCertificate?.certificateChain?.inlineString;
    return pem !== undefined && new X509Certificate(pem).serialNumber.toLowerCase() === client.tls.secrets.workloadCertificate()!.serial;
  }, 'SDS default with the current serial');
});
