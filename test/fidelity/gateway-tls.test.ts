/**
 * Issue 12, Gateway TLS fields on `weft up`, with real curl and openssl s_client on loopback:
 * - `credentialNames` and `tlsCertificates` with an RSA and an ECDSA certificate side by side: the
 *   gateway serves the one matching the client's signature algorithms (`openssl s_client -sigalgs`);
 * - `verifyCertificateSpki` / `verifyCertificateHash` under MUTUAL: only the pinned client
 *   certificate gets through, another one from the same CA is refused;
 * - `caCrl`: a client certificate the CRL revokes is refused, another one from the CA is accepted;
 * - `caCertCredentialName`: client certificates are verified against that Secret's CA;
 * - `insecureSkipVerify`: a client certificate that fails verification is let through, while
 *   MUTUAL still requires one;
 * - `servers[].bind`: the server listens on its own address, with its own routes.
 * Certificates come from the secure-ingress fixture's openssl helpers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { eventually, issue, makeCa, run, secretYaml, servedSubject, statusOf, type CertFiles, type Ran } from '../security/gateway-tls/fixture.js';
import { podNetOf, portOf } from '../harness/ports.js';

const at = (i: number): number => portOf(import.meta.url, i); // 19490-19494 and pod network 220, test/harness/ports.ts
const PORTS = { http: at(0), https: at(1), xds: at(2), api: at(3), ca: at(4), podNet: podNetOf(import.meta.url) } as const;
/** The address the bound server listens on (in this suite's pod network, never given to a pod). */
const BIND_IP = '127.220.0.200';

const read = (p: string) => readFileSync(p, 'utf8');
const openssl = (cwd: string, args: readonly string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

let root = '';
let work = '';
let weft: WeftProcess | undefined;
let ca: CertFiles;
let clientA: CertFiles;
let clientB: CertFiles;
let otherClient: CertFiles;

/** An RSA certificate for `cn` signed by `ca` (the fixture's `issue` makes ECDSA ones). */
function issueRsa(dir: string, signer: CertFiles, file: string, cn: string, org: string): CertFiles {
  writeFileSync(path.join(dir, `${file}.ext`), `subjectAltName=DNS:${cn}\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, ['req', '-new', '-nodes', '-newkey', 'rsa:2048', '-subj', `/CN=${cn}/O=${org}`, '-keyout', `${file}.key`, '-out', `${file}.csr`]);
  openssl(dir, ['x509', '-req', '-sha256', '-days', '2', '-CA', signer.cert, '-CAkey', signer.key, '-CAcreateserial', '-in', `${file}.csr`, '-out', `${file}.crt`, '-extfile', `${file}.ext`]);
  return { cert: path.join(dir, `${file}.crt`), key: path.join(dir, `${file}.key`) };
}

/** A CRL of `signer` revoking `revoked`, as `openssl ca` writes it. */
function crlRevoking(dir: string, signer: CertFiles, revoked: CertFiles): string {
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'crlnumber'), '1000\n');
  writeFileSync(path.join(dir, 'ca.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_md = sha256\ndefault_crl_days = 2\ncertificate = ${signer.cert}\nprivate_key = ${signer.key}\n`);
  openssl(dir, ['ca', '-config', 'ca.cnf', '-revoke', revoked.cert]);
  openssl(dir, ['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'revoked.crl']);
  return path.join(dir, 'revoked.crl');
}

/** curl over the gateway's HTTPS port with SNI/Host `host`; prints the status code last. */
function curl(host: string, extra: readonly string[] = []): Promise<Ran> {
  return run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', '--resolve', `${host}:${PORTS.https}:127.0.0.1`, '--cacert', ca.cert, ...extra, `https://${host}:${PORTS.https}/status/200`]);
}

function sClient(servername: string, extra: readonly string[]): Promise<Ran> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${PORTS.https}`, '-servername', servername, ...extra], 'Q\n');
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'weft-fidelity-gwtls-'));
  work = path.join(root, 'certs');
  const meshDir = path.join(root, 'mesh');
  await mkdir(work);
  await mkdir(meshDir);
  ca = makeCa(work);
  const otherCa = makeCa(work, 'other-ca');
  const server = issue(work, ca, 'server', '*.example.com', 'server organization');
  const dualEc = issue(work, ca, 'dual-ec', 'dual.example.com', 'ecdsa certificate');
  const dualRsa = issueRsa(work, ca, 'dual-rsa', 'dual.example.com', 'rsa certificate');
  const filesEc = issue(work, ca, 'files-ec', 'dualfiles.example.com', 'ecdsa file certificate');
  const filesRsa = issueRsa(work, ca, 'files-rsa', 'dualfiles.example.com', 'rsa file certificate');
  clientA = issue(work, ca, 'client-a', 'a.client.example.com', 'client a', 'client');
  clientB = issue(work, ca, 'client-b', 'b.client.example.com', 'client b', 'client');
  otherClient = issue(work, otherCa, 'other-client', 'other.client.example.com', 'other client', 'client');
  const spkiA = execFileSync('sh', ['-c', `openssl x509 -in ${clientA.cert} -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl enc -base64`]).toString().trim();
  const hashB = /=([0-9A-F:]+)/.exec(openssl(work, ['x509', '-in', clientB.cert, '-noout', '-fingerprint', '-sha256']))![1]!;
  const crl = crlRevoking(work, ca, clientB);

  const kp = (c: CertFiles) => ({ 'tls.crt': read(c.cert), 'tls.key': read(c.key) });
  await writeFile(path.join(meshDir, 'secrets.yaml'), [
    secretYaml('server-credential', 'istio-system', 'kubernetes.io/tls', kp(server)),
    secretYaml('server-credential-cacert', 'istio-system', 'Opaque', { 'ca.crt': read(ca.cert) }),
    secretYaml('dual-rsa', 'istio-system', 'kubernetes.io/tls', kp(dualRsa)),
    secretYaml('dual-ecdsa', 'istio-system', 'kubernetes.io/tls', kp(dualEc)),
    secretYaml('other-ca', 'istio-system', 'Opaque', { 'ca.crt': read(otherCa.cert) }),
  ].join('---\n'));
  const httpbin = path.join(REPO_ROOT, 'dist/samples/httpbin/main.js');
  await writeFile(path.join(meshDir, 'mesh.yaml'), `apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin}
spec:
  replicas: 1
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin}}
    spec:
      containers:
      - name: httpbin
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        command: [node, ${JSON.stringify(httpbin)}]
        ports: [{containerPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-pin, protocol: HTTPS}
    hosts: [pin.example.com]
    tls: {mode: MUTUAL, credentialName: server-credential, verifyCertificateSpki: [${JSON.stringify(spkiA)}]}
  - port: {number: 443, name: https-hash, protocol: HTTPS}
    hosts: [hash.example.com]
    tls: {mode: MUTUAL, credentialName: server-credential, verifyCertificateHash: [${JSON.stringify(hashB)}]}
  - port: {number: 443, name: https-crl, protocol: HTTPS}
    hosts: [crl.example.com]
    tls:
      mode: MUTUAL
      serverCertificate: ${JSON.stringify(server.cert)}
      privateKey: ${JSON.stringify(server.key)}
      caCertificates: ${JSON.stringify(ca.cert)}
      caCrl: ${JSON.stringify(crl)}
  - port: {number: 443, name: https-cacred, protocol: HTTPS}
    hosts: [cacred.example.com]
    tls: {mode: MUTUAL, credentialName: server-credential, caCertCredentialName: other-ca}
  - port: {number: 443, name: https-insecure, protocol: HTTPS}
    hosts: [insecure.example.com]
    tls: {mode: MUTUAL, credentialName: server-credential, insecureSkipVerify: true}
  - port: {number: 443, name: https-dual, protocol: HTTPS}
    hosts: [dual.example.com]
    tls: {mode: SIMPLE, credentialNames: [dual-rsa, dual-ecdsa]}
  - port: {number: 443, name: https-dualfiles, protocol: HTTPS}
    hosts: [dualfiles.example.com]
    tls:
      mode: SIMPLE
      tlsCertificates:
      - {serverCertificate: ${JSON.stringify(filesRsa.cert)}, privateKey: ${JSON.stringify(filesRsa.key)}}
      - {serverCertificate: ${JSON.stringify(filesEc.cert)}, privateKey: ${JSON.stringify(filesEc.key)}}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [plain.example.com]
  - port: {number: 80, name: http-bound, protocol: HTTP}
    bind: ${BIND_IP}
    hosts: [bound.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [pin.example.com, hash.example.com, crl.example.com, cacred.example.com, insecure.example.com, dual.example.com, dualfiles.example.com, plain.example.com, bound.example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
`);
  weft = startWeft(['up', meshDir, '--state', path.join(root, 'state'), '--http-port', String(PORTS.http), '--https-port', String(PORTS.https),
    '--xds-port', String(PORTS.xds), '--api-port', String(PORTS.api), '--ca-port', String(PORTS.ca), '--pod-net', String(PORTS.podNet)]);
  await weft.waitFor(/mesh ready in [\d.]+ s/, 60_000);
  const ok = await eventually(async () => statusOf(await curl('dual.example.com')) === 200);
  assert.ok(ok, `dual.example.com never answered over TLS; weft up output:\n${weft.output()}`);
});

after(async () => {
  await weft?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

test('credentialNames: RSA and ECDSA side by side, the certificate follows the client signature algorithms', async () => {
  const ec = await sClient('dual.example.com', ['-sigalgs', 'ECDSA+SHA256']);
  assert.match(servedSubject(ec), /O = ecdsa certificate/, ec.stdout + ec.stderr);
  const rsa = await sClient('dual.example.com', ['-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256']);
  assert.match(servedSubject(rsa), /O = rsa certificate/, rsa.stdout + rsa.stderr);
  // TLS 1.2 with an RSA-only cipher suite gets the RSA certificate too.
  const rsa12 = await sClient('dual.example.com', ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
  assert.match(servedSubject(rsa12), /O = rsa certificate/, rsa12.stdout + rsa12.stderr);
  assert.equal(statusOf(await curl('dual.example.com')), 200);
});

test('tlsCertificates: RSA and ECDSA files side by side, the certificate follows the client signature algorithms', async () => {
  const ec = await sClient('dualfiles.example.com', ['-sigalgs', 'ECDSA+SHA256']);
  assert.match(servedSubject(ec), /O = ecdsa file certificate/, ec.stdout + ec.stderr);
  const rsa = await sClient('dualfiles.example.com', ['-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256']);
  assert.match(servedSubject(rsa), /O = rsa file certificate/, rsa.stdout + rsa.stderr);
});

test('verifyCertificateSpki: the pinned client certificate gets 200, another one from the same CA is refused', async () => {
  const pinned = await curl('pin.example.com', ['--cert', clientA.cert, '--key', clientA.key]);
  assert.equal(statusOf(pinned), 200, pinned.stderr);
  const other = await curl('pin.example.com', ['--cert', clientB.cert, '--key', clientB.key]);
  assert.notEqual(other.code, 0, other.stdout);
  assert.ok(!(statusOf(other) >= 200), other.stdout);
});

test('verifyCertificateHash: the pinned client certificate (colon hex) gets 200, another one from the same CA is refused', async () => {
  const pinned = await curl('hash.example.com', ['--cert', clientB.cert, '--key', clientB.key]);
  assert.equal(statusOf(pinned), 200, pinned.stderr);
  const other = await curl('hash.example.com', ['--cert', clientA.cert, '--key', clientA.key]);
  assert.notEqual(other.code, 0, other.stdout);
  assert.ok(!(statusOf(other) >= 200), other.stdout);
});

test('caCrl: a client certificate the CRL revokes is refused, another one from the CA gets 200', async () => {
  const good = await curl('crl.example.com', ['--cert', clientA.cert, '--key', clientA.key]);
  assert.equal(statusOf(good), 200, good.stderr);
  const revoked = await curl('crl.example.com', ['--cert', clientB.cert, '--key', clientB.key]);
  assert.notEqual(revoked.code, 0, revoked.stdout);
  assert.ok(!(statusOf(revoked) >= 200), revoked.stdout);
});

test('caCertCredentialName: client certificates are verified against that Secret\'s CA, not the credential\'s', async () => {
  const fromOther = await curl('cacred.example.com', ['--cert', otherClient.cert, '--key', otherClient.key]);
  assert.equal(statusOf(fromOther), 200, fromOther.stderr);
  const fromCredentialCa = await curl('cacred.example.com', ['--cert', clientA.cert, '--key', clientA.key]);
  assert.notEqual(fromCredentialCa.code, 0, fromCredentialCa.stdout);
  assert.ok(!(statusOf(fromCredentialCa) >= 200), fromCredentialCa.stdout);
});

test('servers.bind: the bound server answers on its address with its own routes; the wildcard listener does not serve its hosts', async () => {
  const bound = await run('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: bound.example.com', `http://${BIND_IP}:${PORTS.http}/status/200`]);
  assert.equal(bound.stdout, '200', bound.stderr);
  const plain = await run('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: plain.example.com', `http://127.0.0.1:${PORTS.http}/status/200`]);
  assert.equal(plain.stdout, '200', plain.stderr);
  const boundOnWildcard = await run('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: bound.example.com', `http://127.0.0.1:${PORTS.http}/status/200`]);
  assert.equal(boundOnWildcard.stdout, '404', boundOnWildcard.stderr);
});

test('insecureSkipVerify: an untrusted client certificate is let through under MUTUAL; no certificate is still refused', async () => {
  const untrusted = await curl('insecure.example.com', ['--cert', otherClient.cert, '--key', otherClient.key]);
  assert.equal(statusOf(untrusted), 200, untrusted.stderr);
  const trusted = await curl('insecure.example.com', ['--cert', clientA.cert, '--key', clientA.key]);
  assert.equal(statusOf(trusted), 200, trusted.stderr);
  const none = await curl('insecure.example.com');
  assert.notEqual(none.code, 0, none.stdout);
  assert.ok(!(statusOf(none) >= 200), none.stdout);
  // The same untrusted certificate on a server without insecureSkipVerify is refused.
  const strict = await curl('pin.example.com', ['--cert', otherClient.cert, '--key', otherClient.key]);
  assert.ok(!(statusOf(strict) >= 200), strict.stdout);
});
