/**
 * DestinationRule TLS origination by the sidecar (real TLS on loopback) towards a server outside
 * the mesh (no sidecar, so no auto mTLS): SIMPLE with a CA file, SNI and SAN check; MUTUAL with
 * client certificate files; `insecureSkipVerify` against an untrusted certificate; and a wrong SAN
 * refused with 503.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProxyHandle } from '../../../src/proxy/proxy.js';
import { caFromRoot, createSelfSignedRoot } from '../../../src/security/ca/ca-store.js';
import type { CertificateAuthority } from '../../../src/security/ca/certificate-authority.js';
import { generateP256, privateKeyToPem } from '../../../src/security/ca/keys.js';
import { startMesh, startSidecar, stopAll, viaSidecar, waitUntil, type Mesh } from './mesh-fixture.js';

const CLIENT = '127.0.0.111';
const API = '127.0.0.112';
const PORT = 8443;
const CLUSTER = 'outbound|8443||api.default.svc.cluster.local';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{name: http, port: ${PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: api-0}
spec: {address: ${API}, labels: {app: api}, ports: {http: ${PORT}}}
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: https.Server;
let corp: CertificateAuthority;
let files: Record<string, string>;
const seen: { sni: string | false; clientSan: string | undefined }[] = [];

async function leaf(issuer: CertificateAuthority, dns: string[], uris: string[] = []): Promise<{ key: string; cert: string }> {
  const keys = await generateP256();
  const c = await issuer.issue({ publicKey: keys.publicKey, dnsNames: dns, uris, subject: `CN=${dns[0] ?? 'client'}` });
  return { key: await privateKeyToPem(keys.privateKey), cert: c.certPem };
}

async function dr(tls: string): Promise<void> {
  await mesh.apply('dr.yaml', `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api
  trafficPolicy:
    tls: ${tls}
`);
}

function tlsOf(): string {
  return JSON.stringify(client.snapshot().clusters.get(CLUSTER)?.config.transportSocket ?? null);
}

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY });
  const root = await createSelfSignedRoot({ trustDomain: 'corp.example', commonName: 'Corp CA' });
  corp = await caFromRoot(root, { trustDomain: 'corp.example' });
  const serverPair = await leaf(corp, ['api.corp.example']);
  const clientPair = await leaf(corp, ['client.corp.example']);
  files = { ca: path.join(mesh.dir, 'corp-ca.pem'), cert: path.join(mesh.dir, 'client.pem'), key: path.join(mesh.dir, 'client-key.pem') };
  await writeFile(files.ca!, root.certPem);
  await writeFile(files.cert!, clientPair.cert);
  await writeFile(files.key!, clientPair.key);
  server = https.createServer({ ...serverPair, ca: root.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const s = req.socket as TLSSocket;
    seen.push({ sni: (s as TLSSocket & { servername?: string | false }).servername ?? false, clientSan: s.getPeerCertificate()?.subjectaltname });
    res.end(`api ${s.authorized ? 'mutual' : 'simple'}`);
  });
  await new Promise<void>((resolve) => server.listen(PORT, API, () => resolve()));
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-3', sa: 'sleep', labels: { app: 'sleep' } });
  await waitUntil(() => (client.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'endpoints');
});

after(async () => {
  await stopAll(mesh, [client], server ? [server] : []);
});

test('SIMPLE: CA file, SNI and SAN verified', async () => {
  await dr(`{mode: SIMPLE, caCertificates: ${files.ca}, sni: api.corp.example, subjectAltNames: [api.corp.example]}`);
  await waitUntil(() => tlsOf().includes('api.corp.example'), 'SIMPLE cluster');
  const r = await viaSidecar(client, CLIENT, `http://api:${PORT}/`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'api simple');
  assert.equal(seen.at(-1)?.sni, 'api.corp.example');
});

test('SIMPLE with a SAN the server does not have is refused (503)', async () => {
  await dr(`{mode: SIMPLE, caCertificates: ${files.ca}, sni: api.corp.example, subjectAltNames: [other.corp.example]}`);
  await waitUntil(() => tlsOf().includes('other.corp.example'), 'SAN cluster');
  const r = await viaSidecar(client, CLIENT, `http://api:${PORT}/`);
  assert.equal(r.status, 503, r.body);
});

test('MUTUAL: client certificate from files', async () => {
  await dr(`{mode: MUTUAL, caCertificates: ${files.ca}, clientCertificate: ${files.cert}, privateKey: ${files.key}, sni: api.corp.example}`);
  await waitUntil(() => tlsOf().includes('client-key.pem'), 'MUTUAL cluster');
  const r = await viaSidecar(client, CLIENT, `http://api:${PORT}/`);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'api mutual');
  assert.match(seen.at(-1)?.clientSan ?? '', /client\.corp\.example/);
});

test('insecureSkipVerify accepts a certificate no CA vouches for; without it, refused', async () => {
  const rogue = await caFromRoot(await createSelfSignedRoot({ trustDomain: 'rogue' }), { trustDomain: 'rogue' });
  server.setSecureContext({ ...(await leaf(rogue, ['api.corp.example'])) });
  await dr(`{mode: SIMPLE, caCertificates: ${files.ca}, sni: rogue.corp.example}`);
  await waitUntil(() => tlsOf().includes('rogue.corp.example'), 'verifying cluster');
  assert.equal((await viaSidecar(client, CLIENT, `http://api:${PORT}/`)).status, 503);
  await dr('{mode: SIMPLE, insecureSkipVerify: true, sni: skip.corp.example}');
  await waitUntil(() => tlsOf().includes('skip.corp.example'), 'insecure cluster');
  const r = await viaSidecar(client, CLIENT, `http://api:${PORT}/`);
  assert.equal(r.status, 200, r.body);
});
