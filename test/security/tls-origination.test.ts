/**
 * Attack tests of TLS origination (issue 10 item 5): a sidecar originating TLS for a DestinationRule
 * `SIMPLE` towards a ServiceEntry host must behave as Envoy does with istiod's
 * `auto_sni` / `auto_san_validation` (pilot/pkg/networking/core/cluster_tls.go
 * `setAutoSniAndAutoSanValidation`): send the request's host as SNI and refuse a certificate that
 * does not cover that host, verify against the system roots when `caCertificates` is unset, and
 * skip verification only for `insecureSkipVerify: true`.
 *
 * Real processes and sockets: an in-process control plane, a real sidecar, and a real Node https
 * upstream on loopback whose certificates come from private CAs made here; the upstream records
 * the SNI of every ClientHello and every request it serves, so "never reached" is observed, not
 * assumed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { constants } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { caFromRoot, createSelfSignedRoot } from '../../src/security/ca/ca-store.js';
import type { CertificateAuthority } from '../../src/security/ca/certificate-authority.js';
import { generateP256, privateKeyToPem } from '../../src/security/ca/keys.js';
import { run, startMesh, startSidecar, stat, stopAll, viaSidecar, waitUntil, type Mesh } from './mtls/mesh-fixture.js';

const CLIENT = '127.0.0.131';
const UPSTREAM = '127.0.0.132';
const PORT = 9443;
const HOST = 'secure.corp.example';
const URL_ = `http://${HOST}:${PORT}/`;
const CLUSTER = `outbound|${PORT}||${HOST}`;

const TCP_HOST = 'db.corp.example';
const TCP_PORT = 9444;
const TCP_CLUSTER = `outbound|${TCP_PORT}||${TCP_HOST}`;

const REGISTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: corp}
spec:
  hosts: [${HOST}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: http, protocol: HTTP}]
  endpoints: [{address: ${UPSTREAM}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: corp-db}
spec:
  hosts: [${TCP_HOST}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: ${TCP_PORT}, name: tcp, protocol: TCP}]
  endpoints: [{address: ${UPSTREAM}}]
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: https.Server;
let corp: CertificateAuthority;
let rogue: CertificateAuthority;
let corpCaFile: string;
let rogueCaFile: string;
/** SNI of every ClientHello the upstream received ('' = none sent). */
const hellos: string[] = [];
/** Requests the upstream served. */
let served = 0;
let generation = 0;

async function leaf(issuer: CertificateAuthority, dns: string[]): Promise<{ key: string; cert: string }> {
  const keys = await generateP256();
  const c = await issuer.issue({ publicKey: keys.publicKey, dnsNames: dns, uris: [], subject: `CN=${dns[0]}` });
  return { key: await privateKeyToPem(keys.privateKey), cert: c.certPem };
}

/**
 * The upstream now presents a certificate for `dns` issued by `issuer`, with or without SNI. No
 * session tickets: every connection is a full handshake that shows the current certificate.
 */
async function presents(issuer: CertificateAuthority, dns: string[]): Promise<void> {
  const pair = await leaf(issuer, dns);
  const opts = { ...pair, secureOptions: constants.SSL_OP_NO_TICKET };
  current = tls.createSecureContext(opts);
  server?.setSecureContext(opts);
}
let current: tls.SecureContext;

/** Applies the DestinationRule and waits until the sidecar serves a cluster with it. */
async function dr(tlsYaml: string, marker: string): Promise<void> {
  generation++;
  await mesh.apply('dr.yaml', `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: corp, annotations: {generation: "${generation}"}}
spec:
  host: ${HOST}
  trafficPolicy:
    tls: ${tlsYaml}
`);
  await waitUntil(() => JSON.stringify(client.snapshot().clusters.get(CLUSTER)?.config ?? null).includes(marker), `cluster with ${marker}`);
}

function sslStat(name: string): Promise<number> {
  return stat(client, CLIENT, `cluster.${CLUSTER}.ssl.${name}`);
}

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY });
  const corpRoot = await createSelfSignedRoot({ trustDomain: 'corp.example', commonName: 'Corp Private CA' });
  corp = await caFromRoot(corpRoot, { trustDomain: 'corp.example' });
  const rogueRoot = await createSelfSignedRoot({ trustDomain: 'rogue.example', commonName: 'Rogue CA' });
  rogue = await caFromRoot(rogueRoot, { trustDomain: 'rogue.example' });
  corpCaFile = path.join(mesh.dir, 'corp-ca.pem');
  rogueCaFile = path.join(mesh.dir, 'rogue-ca.pem');
  await writeFile(corpCaFile, corpRoot.certPem);
  await writeFile(rogueCaFile, rogueRoot.certPem);
  await presents(corp, [HOST]);
  server = https.createServer({
    // Every handshake goes through here: the SNI is recorded, refused handshakes included.
    SNICallback: (name, cb) => {
      hellos.push(name);
      cb(null, current);
    },
  }, (_req, res) => {
    served++;
    // One request per connection, so each request is a new handshake against the current certificate.
    res.writeHead(200, { connection: 'close' });
    res.end('secure');
  });
  // A ClientHello without SNI does not call SNICallback: record it from the connection instead.
  server.on('secureConnection', (s: tls.TLSSocket) => {
    if (!(s as tls.TLSSocket & { servername?: string | false }).servername) hellos.push('');
  });
  server.on('tlsClientError', (_err, s: tls.TLSSocket) => {
    if (!(s as tls.TLSSocket & { servername?: string | false }).servername) hellos.push('');
  });
  await presents(corp, [HOST]);
  await new Promise<void>((resolve) => server.listen(PORT, UPSTREAM, () => resolve()));
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'curl-1', sa: 'curl', labels: { app: 'curl' } });
  await waitUntil(() => (client.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'ServiceEntry endpoint');
});

after(async () => {
  await stopAll(mesh, [client], server ? [server] : []);
});

test('SIMPLE without sni: the upstream handshake carries the request host as SNI', async () => {
  await presents(corp, [HOST]);
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}}`, 'corp-ca.pem');
  hellos.length = 0;
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'secure');
  assert.deepEqual(hellos, [HOST], 'SNI = Host without its port');
});

test('a certificate for another hostname (same trusted CA) is refused: 503 UF, upstream never serves it, ssl.fail_verify_san counts', async () => {
  await presents(corp, ['other.corp.example']);
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}}`, 'corp-ca.pem');
  const before = served;
  const sanFailures = await sslStat('fail_verify_san');
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 503, r.body);
  assert.match(r.body, /reset reason: connection failure, transport failure reason: TLS_error:\|ERR_WEFT_TLS_SAN_MISMATCH:verify_san_failed/);
  assert.equal(served, before, 'the upstream never got the request');
  assert.ok((await sslStat('fail_verify_san')) > sanFailures, 'counted in cluster ssl.fail_verify_san');
});

test('a wildcard certificate covers the host (one label); one a label too wide does not', async () => {
  await presents(corp, ['*.corp.example']);
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}}`, 'corp-ca.pem');
  assert.equal((await viaSidecar(client, CLIENT, URL_)).status, 200);
  await presents(corp, ['*.example']);
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 503, r.body);
});

test('no caCertificates: verified against the system roots, so a private CA is refused', async () => {
  await presents(rogue, [HOST]);
  // systemRootCerts in the cluster: the DestinationRule names no CA.
  await dr('{mode: SIMPLE}', 'systemRootCerts');
  const before = served;
  const chainFailures = await sslStat('fail_verify_error');
  hellos.length = 0;
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 503, r.body);
  assert.match(r.body, /transport failure reason: TLS_error:\|(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)[A-Z_]*:certificate_verify_failed/);
  assert.equal(served, before);
  assert.ok((await sslStat('fail_verify_error')) > chainFailures, 'counted in cluster ssl.fail_verify_error');
  // Istio's default route retries connect failures: each attempt's refused handshake offered the host.
  assert.ok(hellos.length >= 1 && hellos.every((h) => h === HOST), `SNI of the refused handshakes: ${JSON.stringify(hellos)}`);
});

test('caCertificates naming that CA: accepted, with SNI', async () => {
  await presents(rogue, [HOST]);
  await dr(`{mode: SIMPLE, caCertificates: ${rogueCaFile}}`, 'rogue-ca.pem');
  hellos.length = 0;
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(hellos, [HOST]);
});

test('subjectAltNames replace the host check (auto SNI stays); a wildcard SAN satisfies an exact one', async () => {
  await presents(corp, ['legacy.internal.example']);
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}, subjectAltNames: [legacy.internal.example]}`, 'legacy.internal.example');
  hellos.length = 0;
  const ok = await viaSidecar(client, CLIENT, URL_);
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(hellos, [HOST], 'SNI is still the request host');
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}, subjectAltNames: [api.other.example]}`, 'api.other.example');
  const refused = await viaSidecar(client, CLIENT, URL_);
  assert.equal(refused.status, 503, refused.body);
  await presents(corp, ['*.other.example']);
  const wild = await viaSidecar(client, CLIENT, URL_);
  assert.equal(wild.status, 200, wild.body);
});

test('an explicit sni is sent as is, and the SAN list is then not automatic', async () => {
  await presents(corp, ['other.corp.example']);
  await dr(`{mode: SIMPLE, caCertificates: ${corpCaFile}, sni: other.corp.example}`, '"sni":"other.corp.example"');
  hellos.length = 0;
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(hellos, ['other.corp.example']);
});

test('insecureSkipVerify: true is the only way to skip verification (and the SAN check); SNI still sent', async () => {
  await presents(rogue, ['anything.rogue.example']);
  await dr('{mode: SIMPLE, insecureSkipVerify: true}', '"validationContext":{}');
  hellos.length = 0;
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(hellos, [HOST]);
  await dr('{mode: SIMPLE, insecureSkipVerify: false}', 'systemRootCerts');
  assert.equal((await viaSidecar(client, CLIENT, URL_)).status, 503);
});

/** A CA made with the openssl CLI, a leaf for HOST, an empty CRL and one revoking the leaf. */
async function opensslCrlCa(dir: string): Promise<{ ca: string; leaf: { cert: string; key: string }; emptyCrl: string; revokedCrl: string }> {
  const f = (n: string) => path.join(dir, n);
  const ok = async (args: string[]) => {
    const r = await run('openssl', args);
    assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  };
  await writeFile(f('index.txt'), '');
  await writeFile(f('crlnumber'), '01\n');
  await writeFile(f('ca.cnf'), `[ca]\ndefault_ca = local\n[local]\ndatabase = ${f('index.txt')}\ncrlnumber = ${f('crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 1\n`);
  await writeFile(f('leaf.ext'), `subjectAltName = DNS:${HOST}\n`);
  await ok(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('crl-ca.key'), '-out', f('crl-ca.pem'), '-subj', '/CN=Weft test CRL CA', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await ok(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${HOST}`]);
  await ok(['x509', '-req', '-in', f('leaf.csr'), '-CA', f('crl-ca.pem'), '-CAkey', f('crl-ca.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '1', '-extfile', f('leaf.ext')]);
  await ok(['ca', '-config', f('ca.cnf'), '-keyfile', f('crl-ca.key'), '-cert', f('crl-ca.pem'), '-gencrl', '-out', f('empty.crl.pem')]);
  await ok(['ca', '-config', f('ca.cnf'), '-keyfile', f('crl-ca.key'), '-cert', f('crl-ca.pem'), '-revoke', f('leaf.pem')]);
  await ok(['ca', '-config', f('ca.cnf'), '-keyfile', f('crl-ca.key'), '-cert', f('crl-ca.pem'), '-gencrl', '-out', f('revoked.crl.pem')]);
  return {
    ca: f('crl-ca.pem'),
    leaf: { cert: await readFile(f('leaf.pem'), 'utf8'), key: await readFile(f('leaf.key'), 'utf8') },
    emptyCrl: f('empty.crl.pem'),
    revokedCrl: f('revoked.crl.pem'),
  };
}

test('caCrl: a certificate the CRL revokes is refused; the same certificate under a CRL not listing it is accepted', async () => {
  const x = await opensslCrlCa(await mkdtemp(path.join(mesh.dir, 'crl-')));
  const opts = { ...x.leaf, secureOptions: constants.SSL_OP_NO_TICKET };
  current = tls.createSecureContext(opts);
  server.setSecureContext(opts);
  await dr(`{mode: SIMPLE, caCertificates: ${x.ca}, caCrl: ${x.emptyCrl}}`, 'empty.crl.pem');
  const fine = await viaSidecar(client, CLIENT, URL_);
  assert.equal(fine.status, 200, fine.body);
  const before = served;
  await dr(`{mode: SIMPLE, caCertificates: ${x.ca}, caCrl: ${x.revokedCrl}}`, 'revoked.crl.pem');
  const r = await viaSidecar(client, CLIENT, URL_);
  assert.equal(r.status, 503, r.body);
  assert.match(r.body, /TLS_error:\|CERT_REVOKED:certificate_verify_failed/);
  assert.equal(served, before, 'the upstream never got the request');
});

/** A TLS echo server (the TCP upstream) recording each ClientHello's SNI and each byte it echoes. */
async function tlsEcho(pair: { key: string; cert: string }): Promise<{ server: tls.Server; hellos: string[]; echoed: string[] }> {
  const hellos: string[] = [];
  const echoed: string[] = [];
  const ctx = tls.createSecureContext({ ...pair, secureOptions: constants.SSL_OP_NO_TICKET });
  const server = tls.createServer({ ...pair, secureOptions: constants.SSL_OP_NO_TICKET, SNICallback: (name, cb) => { hellos.push(name); cb(null, ctx); } }, (s) => {
    if (!(s as tls.TLSSocket & { servername?: string | false }).servername) hellos.push('');
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      echoed.push(d);
      s.write(d);
    });
    s.on('error', () => s.destroy());
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(TCP_PORT, UPSTREAM, () => resolve()));
  return { server, hellos, echoed };
}

/** CONNECT through the sidecar (HTTP_PROXY style) to the TCP service, send `ping`, return what came back. */
function tcpThroughSidecar(): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(client.outboundPort(), CLIENT, () => c.write(`CONNECT ${TCP_HOST}:${TCP_PORT} HTTP/1.1\r\nHost: ${TCP_HOST}:${TCP_PORT}\r\n\r\n`));
    let out = '';
    let sent = false;
    c.setEncoding('latin1');
    c.setTimeout(10_000, () => c.destroy(new Error('timed out')));
    c.on('data', (d: string) => {
      out += d;
      if (!sent && out.startsWith('HTTP/1.1 200') && out.includes('\r\n\r\n')) {
        sent = true;
        c.write('ping');
      }
      if (sent && out.endsWith('ping')) c.end();
    });
    c.on('close', () => resolve(out));
    c.on('error', reject);
  });
}

test('TCP origination (CONNECT to a TCP ServiceEntry): SNI and SAN check use the service host', async () => {
  const good = await tlsEcho(await leaf(corp, [TCP_HOST]));
  try {
    await mesh.apply('dr-tcp.yaml', `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: corp-db}
spec:
  host: ${TCP_HOST}
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: ${corpCaFile}}
`);
    await waitUntil(() => JSON.stringify(client.snapshot().clusters.get(TCP_CLUSTER)?.config ?? null).includes('corp-ca.pem'), 'TCP cluster with TLS');
    const out = await tcpThroughSidecar();
    assert.match(out, /^HTTP\/1\.1 200 /, out);
    assert.ok(out.endsWith('ping'), out);
    assert.deepEqual(good.hellos, [TCP_HOST]);
  } finally {
    await new Promise<void>((r) => good.server.close(() => r()));
  }
  const wrong = await tlsEcho(await leaf(corp, ['other.corp.example']));
  try {
    const sanFailures = await stat(client, CLIENT, `cluster.${TCP_CLUSTER}.ssl.fail_verify_san`);
    const out = await tcpThroughSidecar();
    assert.match(out, /^HTTP\/1\.1 503 /, out);
    assert.deepEqual(wrong.echoed, [], 'no byte reached the upstream');
    assert.ok((await stat(client, CLIENT, `cluster.${TCP_CLUSTER}.ssl.fail_verify_san`)) > sanFailures);
  } finally {
    await new Promise<void>((r) => wrong.server.close(() => r()));
  }
});
