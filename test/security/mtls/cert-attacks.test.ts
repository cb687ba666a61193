/**
 * Certificate attacks against the sidecar's upstream verification (real TLS on loopback): a test
 * TLS server registered as an in-mesh endpoint (`tlsMode: istio`, service account `victim`) presents,
 * in turn, an expired certificate, a not-yet-valid one, one from the wrong trust domain, one signed
 * by another CA, and one for another identity (SAN mismatch). Each request through the client
 * sidecar must fail with 503 UF, counted under the matching `ssl.*` reason; a correct certificate
 * then works.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { ProxyHandle } from '../../../src/proxy/proxy.js';
import { caFromRoot, createSelfSignedRoot } from '../../../src/security/ca/ca-store.js';
import type { CertificateAuthority } from '../../../src/security/ca/certificate-authority.js';
import { generateP256, privateKeyToPem } from '../../../src/security/ca/keys.js';
import { admin, startMesh, startSidecar, stat, stopAll, viaSidecar, waitUntil, type Mesh } from './mesh-fixture.js';

const CLIENT = '127.0.0.91';
const VICTIM = '127.0.0.92';
const PORT = 8001;
const CLUSTER = 'outbound|8001||victim.default.svc.cluster.local';
const ID = 'spiffe://cluster.local/ns/default/sa/victim';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: victim}
spec:
  selector: {app: victim}
  ports: [{name: http, port: ${PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: victim-0}
spec:
  address: ${VICTIM}
  serviceAccount: victim
  labels: {app: victim, security.istio.io/tlsMode: istio}
  ports: {http: ${PORT}}
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: https.Server;
let ca: CertificateAuthority;

async function pair(issuer: CertificateAuthority, uri: string, from: number, to: number): Promise<{ key: string; cert: string }> {
  const keys = await generateP256();
  const issued = await issuer.issue({ publicKey: keys.publicKey, uris: [uri], notBefore: new Date(Date.now() + from), notAfter: new Date(Date.now() + to) });
  return { key: await privateKeyToPem(keys.privateKey), cert: issued.chainPems.join('') };
}

async function attempt(material: { key: string; cert: string }, what: string): Promise<{ status: number; body: string }> {
  server.setSecureContext(material);
  const r = await viaSidecar(client, CLIENT, `http://victim:${PORT}/${what}`);
  return { status: r.status, body: r.body };
}

async function ufCount(): Promise<number> {
  const text = await admin(client, CLIENT, '/stats/prometheus');
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('istio_requests_total{') && line.includes('destination_service="victim.default.svc.cluster.local"') && /response_flags="[^"]*UF[^"]*"/.test(line) && line.includes('response_code="503"')) {
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return n;
}

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY });
  ca = mesh.cp.ca!.ca;
  const first = await pair(ca, ID, -60_000, 3600_000);
  server = https.createServer({ ...first }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`victim ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(PORT, VICTIM, () => resolve()));
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-1', sa: 'sleep', labels: { app: 'sleep' } });
  await waitUntil(() => (client.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'endpoints');
});

after(async () => {
  await stopAll(mesh, [client], server ? [server] : []);
});

const verifyError = () => stat(client, CLIENT, `cluster.${CLUSTER}.ssl.fail_verify_error`);
const verifySan = () => stat(client, CLIENT, `cluster.${CLUSTER}.ssl.fail_verify_san`);

async function expectRefused(material: { key: string; cert: string }, what: string, counter: () => Promise<number>): Promise<void> {
  const before = await counter();
  const uf = await ufCount();
  const r = await attempt(material, what);
  assert.equal(r.status, 503, `${what}: ${r.body}`);
  assert.match(r.body, /connection failure/);
  assert.ok((await counter()) > before, `${what}: reason counter did not move`);
  assert.ok((await ufCount()) > uf, `${what}: no 503 UF recorded`);
}

test('expired certificate is refused (UF, ssl.fail_verify_error)', async () => {
  await expectRefused(await pair(ca, ID, -7200_000, -3600_000), 'expired', verifyError);
});

test('not-yet-valid certificate is refused', async () => {
  await expectRefused(await pair(ca, ID, 3600_000, 7200_000), 'not-yet-valid', verifyError);
});

test('certificate signed by another CA is refused', async () => {
  const rogue = await caFromRoot(await createSelfSignedRoot({ trustDomain: 'cluster.local' }), { trustDomain: 'cluster.local' });
  await expectRefused(await pair(rogue, ID, -60_000, 3600_000), 'other-ca', verifyError);
});

test('wrong trust domain is refused (ssl.fail_verify_san)', async () => {
  await expectRefused(await pair(ca, 'spiffe://evil.example/ns/default/sa/victim', -60_000, 3600_000), 'trust-domain', verifySan);
});

test('SAN mismatch (another identity of the mesh) is refused', async () => {
  await expectRefused(await pair(ca, 'spiffe://cluster.local/ns/default/sa/impostor', -60_000, 3600_000), 'san-mismatch', verifySan);
});

test('the right identity from the mesh CA is accepted', async () => {
  const r = await attempt(await pair(ca, ID, -60_000, 3600_000), 'ok');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'victim /ok');
});
