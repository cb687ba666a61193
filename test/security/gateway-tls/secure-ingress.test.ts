/**
 * Istio's secure-ingress task on `weft up`, with real curl and openssl s_client on loopback:
 * SIMPLE TLS from a `credentialName` Secret (418 teapot), SNI choosing among several hosts and
 * certificates on one port (wildcard included), MUTUAL (no client certificate → TLS failure, with
 * `--cert/--key` → 200), `httpsRedirect` (301), PASSTHROUGH to a backend that terminates TLS itself,
 * file-based certificates, protocol versions and cipher suites, a Secret with a malformed key (that
 * host fails, the others keep working, the control plane names the Secret), and rotation by
 * re-applying a Secret (new connections get the new certificate, an open connection keeps working).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runWeft, startWeft, type WeftProcess } from '../../helpers/weft-process.js';
import {
  curlHttps, eventually, issue, makeCa, meshYaml, PORTS, run, sClient, secretYaml, servedSubject, startTlsBackend, statusOf, type CertFiles,
} from './fixture.js';

const read = (p: string) => readFileSync(p, 'utf8');
let root = '';
let weft: WeftProcess | undefined;
let backend: https.Server | undefined;
let ca: CertFiles;
let client: CertFiles;
let work = '';

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'weft-gwtls-'));
  work = path.join(root, 'certs');
  const meshDir = path.join(root, 'mesh');
  await mkdir(work);
  await mkdir(meshDir);
  ca = makeCa(work);
  const httpbin = issue(work, ca, 'httpbin', 'httpbin.example.com', 'httpbin organization');
  const bookinfo = issue(work, ca, 'bookinfo', 'bookinfo.example.com', 'bookinfo organization');
  const mtls = issue(work, ca, 'mtls', 'mtls.example.com', 'mtls organization');
  const wild = issue(work, ca, 'wild', '*.wild.example.com', 'wildcard organization');
  const files = issue(work, ca, 'files', 'files.example.com', 'files organization');
  const nginx = issue(work, ca, 'nginx', 'nginx.example.com', 'backend organization');
  client = issue(work, ca, 'client', 'client.example.com', 'client organization', 'client');
  const b = await startTlsBackend(nginx, 'passthrough-backend: TLS terminated by the backend', read);
  backend = b.server;
  const secrets = [
    secretYaml('httpbin-credential', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(httpbin.cert), 'tls.key': read(httpbin.key) }),
    secretYaml('bookinfo-credential', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(bookinfo.cert), 'tls.key': read(bookinfo.key) }),
    secretYaml('wild-credential', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(wild.cert), 'tls.key': read(wild.key) }),
    secretYaml('mutual-credential', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(mtls.cert), 'tls.key': read(mtls.key) }),
    secretYaml('mutual-credential-cacert', 'istio-system', 'Opaque', { 'ca.crt': read(ca.cert) }),
    secretYaml('bad-credential', 'istio-system', 'Opaque', { 'tls.crt': read(httpbin.cert), 'tls.key': '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n' }),
  ];
  await writeFile(path.join(meshDir, 'secrets.yaml'), secrets.join('---\n'));
  await writeFile(path.join(meshDir, 'mesh.yaml'), meshYaml({ filesCert: files, backendPort: b.port }));
  weft = startWeft(['up', meshDir, '--state', path.join(root, 'state'), '--http-port', String(PORTS.http), '--https-port', String(PORTS.https),
    '--xds-port', String(PORTS.xds), '--api-port', String(PORTS.api), '--ca-port', String(PORTS.ca), '--pod-net', String(PORTS.podNet)]);
  await weft.waitFor(new RegExp(`mesh ready in [\\d.]+ s: gateway http://127\\.0\\.0\\.1:${PORTS.http} and https://127\\.0\\.0\\.1:${PORTS.https}`), 60_000);
  // The gateway has its certificates once a request succeeds.
  const ok = await eventually(async () => statusOf(await curlHttps('httpbin.example.com', '/status/418', ca.cert)) === 418);
  assert.ok(ok, `httpbin.example.com never answered over TLS; weft up output:\n${weft.output()}`);
});

after(async () => {
  await weft?.stop();
  await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
  if (root) await rm(root, { recursive: true, force: true });
});

test('SIMPLE: curl --cacert reaches httpbin through the gateway (418), the app sees x-forwarded-proto https', async () => {
  const teapot = await curlHttps('httpbin.example.com', '/status/418', ca.cert, ['-v']);
  assert.equal(statusOf(teapot), 418, teapot.stderr);
  assert.match(teapot.stderr, /subject: CN=httpbin\.example\.com; O=httpbin organization/);
  const headers = await curlHttps('httpbin.example.com', '/headers', ca.cert);
  assert.equal(statusOf(headers), 200, headers.stderr);
  assert.match(headers.stdout, /"X-Forwarded-Proto":\s*\[?"https"/i);
});

test('SNI selects the certificate per host on one port (exact and wildcard)', async () => {
  assert.match(servedSubject(await sClient('httpbin.example.com')), /CN = httpbin\.example\.com/);
  assert.match(servedSubject(await sClient('bookinfo.example.com')), /CN = bookinfo\.example\.com/);
  assert.match(servedSubject(await sClient('a.wild.example.com')), /CN = \*\.wild\.example\.com/);
  assert.equal(statusOf(await curlHttps('bookinfo.example.com', '/status/200', ca.cert)), 200);
  assert.equal(statusOf(await curlHttps('a.wild.example.com', '/status/201', ca.cert)), 201);
  // A name no server declares matches no filter chain: the handshake fails.
  const unknown = await sClient('unknown.example.com');
  assert.equal(servedSubject(unknown), '');
});

test('minProtocolVersion, maxProtocolVersion and cipherSuites apply per server', async () => {
  const tls12OnWild = await sClient('a.wild.example.com', ['-tls1_2']);
  assert.equal(servedSubject(tls12OnWild), '', 'TLS 1.2 must be refused where minProtocolVersion is TLSV1_3');
  assert.match((await sClient('a.wild.example.com', ['-tls1_3'])).stdout, /Protocol\s*:\s*TLSv1\.3|TLSv1\.3/);
  const book = await sClient('bookinfo.example.com');
  assert.match(book.stdout, /TLSv1\.2/);
  assert.match(book.stdout, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
  assert.equal(servedSubject(await sClient('bookinfo.example.com', ['-tls1_3'])), '', 'TLS 1.3 must be refused where maxProtocolVersion is TLSV1_2');
});

test('MUTUAL: no client certificate → TLS failure; with --cert/--key → 200', async () => {
  const without = await curlHttps('mtls.example.com', '/status/200', ca.cert);
  assert.notEqual(without.code, 0, `expected a TLS failure, got ${without.stdout}`);
  assert.ok(!(statusOf(without) >= 200), without.stdout);
  const withCert = await curlHttps('mtls.example.com', '/status/200', ca.cert, ['--cert', client.cert, '--key', client.key]);
  assert.equal(statusOf(withCert), 200, withCert.stderr);
  // A client certificate from another CA is refused.
  const other = makeCa(work, 'other-ca');
  const stranger = issue(work, other, 'stranger', 'stranger.example.com', 'nobody', 'client');
  const refused = await curlHttps('mtls.example.com', '/status/200', ca.cert, ['--cert', stranger.cert, '--key', stranger.key]);
  assert.notEqual(statusOf(refused), 200);
});

test('httpsRedirect: plain HTTP gets 301 to https', async () => {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: httpbin.example.com', `http://127.0.0.1:${PORTS.http}/status/200?x=1`]);
  assert.equal(r.stdout, '301 https://httpbin.example.com/status/200?x=1', r.stderr);
});

test('PASSTHROUGH: raw TLS bytes reach a backend that terminates TLS itself, routed by SNI', async () => {
  const r = await curlHttps('nginx.example.com', '/', ca.cert, ['-v']);
  assert.equal(statusOf(r), 200, r.stderr);
  assert.match(r.stdout, /passthrough-backend/);
  assert.match(r.stderr, /subject: CN=nginx\.example\.com; O=backend organization/);
});

test('file-based certificates (serverCertificate/privateKey)', async () => {
  assert.match(servedSubject(await sClient('files.example.com')), /CN = files\.example\.com/);
  assert.equal(statusOf(await curlHttps('files.example.com', '/status/200', ca.cert)), 200);
});

test('a Secret with a malformed key: that host fails, the others keep serving, the Secret is named', async () => {
  const bad = await curlHttps('bad.example.com', '/status/200', ca.cert);
  assert.notEqual(bad.code, 0);
  assert.equal(statusOf(await curlHttps('httpbin.example.com', '/status/418', ca.cert)), 418);
  assert.equal(statusOf(await curlHttps('bookinfo.example.com', '/status/200', ca.cert)), 200);
  assert.match(weft!.output(), /GATEWAY_CREDENTIAL_INVALID: Secret istio-system\/bad-credential: private key is not a valid PEM key/);
});

test('rotation: re-applying the Secret serves the new certificate to new connections; an open one keeps working', async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: read(ca.cert) });
  const get = () =>
    new Promise<{ status: number; reused: boolean; org: string }>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: PORTS.https, servername: 'httpbin.example.com', path: '/status/200', headers: { host: 'httpbin.example.com' }, agent }, (res: http.IncomingMessage) => {
        res.resume();
        const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, org: String(peer.subject?.O ?? '') }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const first = await get();
    assert.deepEqual([first.status, first.org], [200, 'httpbin organization']);
    const rotated = issue(work, ca, 'httpbin-rotated', 'httpbin.example.com', 'rotated organization');
    const applied = await runWeft(['apply', '-f', '-', '--server', `http://127.0.0.1:${PORTS.api}`, '--state', path.join(root, 'state')], {
      input: secretYaml('httpbin-credential', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(rotated.cert), 'tls.key': read(rotated.key) }),
    });
    assert.equal(applied.code, 0, applied.stderr);
    const switched = await eventually(async () => /O = rotated organization/.test(servedSubject(await sClient('httpbin.example.com'))));
    assert.ok(switched, 'new connections never got the rotated certificate');
    assert.equal(statusOf(await curlHttps('httpbin.example.com', '/status/418', ca.cert)), 418);
    const again = await get();
    assert.deepEqual(again, { status: 200, reused: true, org: 'httpbin organization' }, 'the open connection keeps its certificate and keeps working');
  } finally {
    agent.destroy();
  }
});

test('AuthorizationPolicy on the gateway applies to PASSTHROUGH connections (network RBAC): denied SNI closed, other hosts unaffected, then restored', async () => {
  const api = ['--server', `http://127.0.0.1:${PORTS.api}`, '--state', path.join(root, 'state')];
  const policy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-nginx-sni, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules:
  - when:
    - key: connection.sni
      values: [nginx.example.com]
`;
  const applied = await runWeft(['apply', '-f', '-', ...api], { input: policy });
  assert.equal(applied.code, 0, applied.stderr);
  try {
    const denied = await eventually(async () => (await curlHttps('nginx.example.com', '/', ca.cert)).code !== 0);
    assert.ok(denied, 'the PASSTHROUGH connection was never refused by the DENY policy');
    const r = await curlHttps('nginx.example.com', '/', ca.cert);
    assert.doesNotMatch(r.stdout, /passthrough-backend/, 'no byte of the backend reaches a denied client');
    assert.equal(statusOf(await curlHttps('httpbin.example.com', '/status/418', ca.cert)), 418, 'other SNI hosts keep working');
  } finally {
    const removed = await runWeft(['delete', 'authorizationpolicy', 'deny-nginx-sni', '-n', 'istio-system', ...api]);
    assert.equal(removed.code, 0, removed.stderr);
  }
  const back = await eventually(async () => /passthrough-backend/.test((await curlHttps('nginx.example.com', '/', ca.cert)).stdout));
  assert.ok(back, 'PASSTHROUGH never recovered after the policy was deleted');
});
