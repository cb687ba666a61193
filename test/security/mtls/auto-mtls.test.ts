/**
 * End to end, real TLS on loopback: a control plane with the mesh CA, a client sidecar (`sleep`) and
 * a server sidecar in front of a plaintext app (`httpbin`). Checks auto mTLS between the sidecars
 * (the server side sees the client's verified SPIFFE identity, the app sees plaintext), Istio's mTLS
 * migration (PERMISSIVE accepts a plaintext client outside the mesh, STRICT resets it while mesh
 * traffic keeps working), DISABLE with a DestinationRule `tls.mode: DISABLE`, the certificate
 * request `openssl s_client` sees on a STRICT port, and the secrets section of `/config_dump`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { ProxyHandle } from '../../../src/proxy/proxy.js';
import { admin, echoApp, run, startMesh, startSidecar, stat, stopAll, viaSidecar, waitUntil, type Mesh } from './mesh-fixture.js';

const CLIENT = '127.0.0.81';
const SERVER = '127.0.0.82';
const APP = '127.0.0.83';
const PORT = 8000;
const CLUSTER = 'outbound|8000||httpbin.default.svc.cluster.local';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: ${PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: httpbin-0}
spec:
  address: ${SERVER}
  serviceAccount: httpbin
  labels: {app: httpbin, security.istio.io/tlsMode: istio}
  ports: {http: ${PORT}}
`;

const peerAuth = (mode: string) => `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec:
  mtls: {mode: ${mode}}
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: ProxyHandle;
let app: http.Server;

function inboundModes(): string {
  const l = server.snapshot().resources.listeners.get('virtualInbound');
  return JSON.stringify(l?.filterChains?.filter((c) => c.filterChainMatch?.destinationPort?.value === PORT).map((c) => c.filterChainMatch?.transportProtocol ?? 'any') ?? []);
}

async function plainCurl(): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('curl', ['-sS', '--max-time', '5', '--noproxy', '*', `http://${SERVER}:${PORT}/direct`]);
}

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY });
  app = await echoApp(APP, PORT, 'httpbin');
  server = await startSidecar(mesh, { ip: SERVER, pod: 'httpbin-0', sa: 'httpbin', labels: { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' }, appAddress: APP });
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-0', sa: 'sleep', labels: { app: 'sleep' } });
  await waitUntil(() => (client.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'client endpoints');
  await waitUntil(() => server.ports().inbound.has(PORT), 'server inbound port');
});

after(async () => {
  await stopAll(mesh, [client, server], app ? [app] : []);
});

test('auto mTLS by default: the server sidecar verifies the client identity, the app sees plaintext', async () => {
  const r = await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/headers`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { headers: Record<string, string>; encrypted: boolean };
  assert.equal(body.encrypted, false, 'the app is reached in plaintext');
  const xfcc = body.headers['x-forwarded-client-cert'] ?? '';
  assert.match(xfcc, /URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
  assert.match(xfcc, /By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin/);
  assert.ok((await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.handshake`)) >= 1, 'client did a TLS handshake');
  const serverMetrics = (await admin(server, SERVER, '/stats/prometheus')).split('\n').filter((l) => l.startsWith('istio_requests_total{') && l.includes('reporter="destination"'));
  assert.ok(serverMetrics.some((l) => l.includes('connection_security_policy="mutual_tls"') && l.includes('source_principal="spiffe://cluster.local/ns/default/sa/sleep"')), serverMetrics.join('\n'));
  const clientMetrics = (await admin(client, CLIENT, '/stats/prometheus')).split('\n').filter((l) => l.startsWith('istio_requests_total{') && l.includes('reporter="source"'));
  assert.ok(clientMetrics.some((l) => l.includes('destination_principal="spiffe://cluster.local/ns/default/sa/httpbin"')), clientMetrics.join('\n'));
  // The cluster chose the tlsMode-istio transport socket (ISTIO_MUTUAL with the server's SAN).
  const cluster = client.snapshot().clusters.get(CLUSTER)!.config;
  assert.equal(cluster.transportSocketMatches?.[0]?.name, 'tlsMode-istio');
});

test('upstream connections are pooled and new ones resume the TLS session', async () => {
  const handshakes = await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.handshake`);
  for (let i = 0; i < 5; i++) assert.equal((await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/pooled`)).status, 200);
  assert.equal(await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.handshake`), handshakes, 'keep-alive connection reused');
  for (const h of client.snapshot().clusters.get(CLUSTER)!.hosts.values()) h.agent.closeIdle();
  assert.equal((await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/resumed`)).status, 200);
  assert.ok((await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.session_reused`)) >= 1, 'session resumed');
});

test('PERMISSIVE (default): a plaintext client outside the mesh is served on the same port', async () => {
  assert.equal(inboundModes(), JSON.stringify(['tls', 'raw_buffer']));
  const r = await plainCurl();
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { headers: Record<string, string> };
  assert.equal(body.headers['x-forwarded-client-cert'], undefined, 'no client identity for plaintext');
});

test('admin /config_dump lists the workload certificate and ROOTCA (proxy-config secrets)', async () => {
  await waitUntil(() => client.tls.secrets.dump().some((s) => s.name === 'ROOTCA' && s.source === 'sds'), 'ROOTCA over SDS');
  const dump = JSON.parse(await admin(client, CLIENT, '/config_dump')) as { configs: { '@type': string; dynamicActiveSecrets?: { name: string; certificates: { serialNumber: string; notAfter: string; subjectAltNames: string[] }[] }[] }[] };
  const secrets = dump.configs.find((c) => c['@type'].endsWith('SecretsConfigDump'))?.dynamicActiveSecrets ?? [];
  const def = secrets.find((s) => s.name === 'default');
  assert.ok(def, 'default secret listed');
  assert.deepEqual(def.certificates[0]!.subjectAltNames, ['spiffe://cluster.local/ns/default/sa/sleep']);
  assert.match(def.certificates[0]!.serialNumber, /^[0-9a-f]+$/);
  const ttl = Date.parse(def.certificates[0]!.notAfter) - Date.now();
  assert.ok(ttl > 23 * 3600_000 && ttl <= 24 * 3600_000, `24 h default TTL, got ${ttl} ms`);
  assert.ok(secrets.some((s) => s.name === 'ROOTCA'));
  // The control plane's SDS copy of `default` carries the chain only — no private key.
  const sds = client.ads.resources('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret').get('default') as { tlsCertificate?: { certificateChain?: unknown; privateKey?: unknown } } | undefined;
  assert.ok(sds?.tlsCertificate?.certificateChain, 'SDS default has the chain');
  assert.equal(sds?.tlsCertificate?.privateKey, undefined, 'SDS default has no private key');
});

test('STRICT: plaintext from outside the mesh is reset, mesh traffic keeps working', async () => {
  await mesh.apply('pa.yaml', peerAuth('STRICT'));
  await waitUntil(() => inboundModes() === JSON.stringify(['tls']), 'STRICT inbound chains');
  const r = await plainCurl();
  assert.notEqual(r.code, 0, 'plaintext must fail');
  assert.match(r.stderr, /reset|Empty reply|Recv failure/i);
  for (let i = 0; i < 5; i++) {
    const m = await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/strict`);
    assert.equal(m.status, 200, m.body);
  }
});

test('STRICT: openssl s_client sees a certificate request on the inbound port', async () => {
  const r = await run('openssl', ['s_client', '-connect', `${SERVER}:${PORT}`, '-servername', 'httpbin.default.svc.cluster.local', '-tls1_3'], '');
  const out = r.stdout + r.stderr;
  assert.match(out, /Requested Signature Algorithms|Acceptable client certificate CA names|Client Certificate Types/);
  assert.match(out, /spiffe:\/\/cluster\.local\/ns\/default\/sa\/httpbin|issuer=O ?= ?cluster\.local/);
});

test('port-level override: a workload policy STRICT with port 8000 PERMISSIVE beats the namespace STRICT', async () => {
  await mesh.apply('pa-workload.yaml', `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: httpbin, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  mtls: {mode: STRICT}
  portLevelMtls:
    ${PORT}: {mode: PERMISSIVE}
`);
  await waitUntil(() => inboundModes() === JSON.stringify(['tls', 'raw_buffer']), 'port-level PERMISSIVE');
  const plain = await plainCurl();
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal((await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/port-level`)).status, 200);
  await mesh.remove('pa-workload.yaml');
  await waitUntil(() => inboundModes() === JSON.stringify(['tls']), 'back to STRICT');
});

test('DISABLE with DestinationRule tls DISABLE: plaintext end to end', async () => {
  await mesh.apply('pa.yaml', peerAuth('DISABLE'));
  await mesh.apply('dr.yaml', `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy: {tls: {mode: DISABLE}}
`);
  await waitUntil(() => inboundModes() === JSON.stringify(['any']), 'DISABLE inbound chain');
  await waitUntil(() => {
    const c = client.snapshot().clusters.get(CLUSTER)?.config;
    return c !== undefined && c.transportSocketMatches === undefined && c.transportSocket === undefined;
  }, 'plaintext client cluster');
  const before = await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.handshake`);
  const r = await viaSidecar(client, CLIENT, `http://httpbin:${PORT}/disabled`);
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { headers: Record<string, string> };
  assert.equal(body.headers['x-forwarded-client-cert'], undefined);
  assert.equal(await stat(client, CLIENT, `cluster.${CLUSTER}.ssl.handshake`), before, 'no new handshake');
  const plain = await plainCurl();
  assert.equal(plain.code, 0, plain.stderr);
  await mesh.remove('dr.yaml');
  await mesh.remove('pa.yaml');
});
