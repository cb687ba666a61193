/**
 * Attacks on the control plane's config API (port 15014) against a real `weft control` process,
 * with curl as a local user or a browser would send the requests:
 * - no token / a wrong token: 401, and the STRICT PeerAuthentication is not replaced;
 * - DNS rebinding: `evil.example` resolving to 127.0.0.1 (curl --resolve), with and without the
 *   token: refused on Host before anything runs;
 * - a cross-site form POST as a web page sends it (`Content-Type: text/plain`, `Origin:
 *   http://evil.example`, no token): nothing applied;
 * - a TLS Secret's private key appears in no endpoint's answer; `weft get secret` shows name, type
 *   and keys; a redacted manifest applied back is refused;
 * - the token file is 0600 and the state directory 0700; the CLI finds the token on its own;
 *   `weft exec` does not hand WEFT_API_TOKEN to the command it runs;
 * - `--api-tls`: HTTPS with a mesh CA certificate, verified with `--ca-root`; a non-loopback
 *   `--host` without the CA is refused before anything binds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';

const exec = promisify(execFile);

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8000}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-0}
spec: {address: 127.0.0.131, serviceAccount: web, labels: {app: web}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
`;

/** What an attacker applies: mTLS off mesh-wide, under a name of its own (so "applied" is visible). */
const ATTACK = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: pwned, namespace: istio-system}
spec:
  mtls: {mode: DISABLE}
`;

let root = '';
let state = '';
let control: WeftProcess | undefined;
let server = '';
let port = 0;
let keyPem = '';
let certPem = '';

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'weft-api-auth-'));
  const config = path.join(root, 'config');
  await mkdir(config);
  await writeFile(path.join(config, 'registry.yaml'), REGISTRY);
  // Where `weft control` keeps its state by default, relative to the directory it runs in.
  state = path.join(root, '.weft', 'state');
  control = startWeft(['control', '--config', config, '--state', state, '--xds-port', '0', '--http-port', '0', '--ca-port', '0', '--debounce', '20'], { cwd: root });
  const m = await control.waitFor(/API on (http:\/\/127\.0\.0\.1:(\d+))/);
  server = m[1]!;
  port = Number(m[2]);
  await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(root, 'k.pem'), '-out', path.join(root, 'c.pem'), '-subj', '/CN=web.example', '-days', '1']);
  keyPem = await readFile(path.join(root, 'k.pem'), 'utf8');
  certPem = await readFile(path.join(root, 'c.pem'), 'utf8');
});

after(async () => {
  await control?.stop();
  await rm(root, { recursive: true, force: true });
});

/** The token, as the user running `weft control` reads it ('' when there is none). */
async function token(): Promise<string> {
  return (await readFile(path.join(state, 'api-token'), 'utf8').catch(() => '')).trim();
}

/** curl, as a user runs it; returns status and body. */
async function curl(args: readonly string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await exec('curl', ['-sS', '--noproxy', '*', '-m', '10', '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

/** Names of the PeerAuthentications in the store, read with the real token. */
async function peerAuthentications(): Promise<string[]> {
  const r = await curl(['-H', `Authorization: Bearer ${await token()}`, `${server}/api/v1/resources?kind=PeerAuthentication`]);
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name).sort();
}

const applyBody = () => JSON.stringify({ files: [{ file: 'attack.yaml', text: ATTACK }] });

test('the token file is 0600 in a 0700 state directory, and the CLI finds it without being told', async () => {
  assert.equal((await stat(path.join(state, 'api-token'))).mode & 0o777, 0o600);
  assert.equal((await stat(state)).mode & 0o777, 0o700);
  assert.match(await token(), /^[A-Za-z0-9_-]{43}$/);
  // Run from the directory weft control runs in: ./.weft/state/api-token is found.
  const got = await runWeft(['get', 'peerauthentication', '-n', 'istio-system', '--server', server], { cwd: root });
  assert.equal(got.code, 0, got.stderr);
  // NAME, then SOURCE (issue 11: the watched file, relative to the current directory).
  assert.match(got.stdout, /^default\s+config\/registry\.yaml$/m);
  // From elsewhere, without a token: a clear error naming where it looked.
  const none = await runWeft(['get', 'pa', '-A', '--server', server], { cwd: os.tmpdir(), env: { ...process.env, WEFT_API_TOKEN: '', WEFT_STATE: '' } });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^weft: UNAUTHORIZED: no API token found .*looked in: \$WEFT_API_TOKEN, \.weft\/api-token, \.weft\/state\/api-token/m);
  // --state, WEFT_STATE and WEFT_API_TOKEN each work from anywhere.
  for (const [args, env] of [
    [['--state', state], {}],
    [[], { WEFT_STATE: state }],
    [[], { WEFT_API_TOKEN: await token() }],
  ] as const) {
    const r = await runWeft(['get', 'pa', '-A', '--server', server, ...args], { cwd: os.tmpdir(), env: { ...process.env, ...env } });
    assert.equal(r.code, 0, `${JSON.stringify(env)} ${r.stderr}`);
  }
  const wrong = await runWeft(['get', 'pa', '-A', '--server', server], { cwd: os.tmpdir(), env: { ...process.env, WEFT_API_TOKEN: 'not-the-token' } });
  assert.match(wrong.stderr, /^weft: UNAUTHORIZED: the control plane at .* refused the API token from \$WEFT_API_TOKEN/m);
});

test('without the token, or with a wrong one, every config and debug endpoint answers 401 and nothing is applied', async () => {
  for (const auth of [[], ['-H', 'Authorization: Bearer wrong-token'], ['-H', `Authorization: Basic ${Buffer.from(`x:${await token()}`).toString('base64')}`]]) {
    const applied = await curl([...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', applyBody(), `${server}/api/v1/apply`]);
    assert.equal(applied.status, 401, applied.body);
    assert.equal(JSON.parse(applied.body).error, 'UNAUTHORIZED');
    const deleted = await curl([...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', '[{"kind":"PeerAuthentication","namespace":"istio-system","name":"default"}]', `${server}/api/v1/delete`]);
    assert.equal(deleted.status, 401);
    for (const p of ['/api/v1/resources?kind=Secret', '/api/v1/resources', '/debug/configz', '/debug/registryz', '/debug/syncz']) {
      const r = await curl([...auth, `${server}${p}`]);
      assert.equal(r.status, 401, `${p}: ${r.body}`);
      assert.doesNotMatch(r.body, /PeerAuthentication|web-0/);
    }
  }
  assert.deepEqual(await peerAuthentications(), ['default']);
  // Prometheus' scrape and readiness stay open, as istiod's /metrics on 15014; they carry no config.
  const metrics = await curl([`${server}/metrics`]);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /^weft_config_pushes_total \d+$/m);
});

test('DNS rebinding: a page on evil.example resolving to 127.0.0.1 is refused on Host, with or without the token', async () => {
  const evil = `http://evil.example:${port}`;
  const resolve = ['--resolve', `evil.example:${port}:127.0.0.1`];
  for (const auth of [[], ['-H', `Authorization: Bearer ${await token()}`]]) {
    const read = await curl([...resolve, ...auth, `${evil}/api/v1/resources?kind=PeerAuthentication`]);
    assert.equal(read.status, 421, read.body);
    assert.equal(JSON.parse(read.body).error, 'MISDIRECTED_HOST');
    const write = await curl([...resolve, ...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', applyBody(), `${evil}/api/v1/apply`]);
    assert.equal(write.status, 421, write.body);
    // The same with the Host header alone (no name resolution involved), and on the open paths too.
    const hostOnly = await curl([...auth, '-H', `Host: evil.example:${port}`, `${server}/metrics`]);
    assert.equal(hostOnly.status, 421);
  }
  assert.deepEqual(await peerAuthentications(), ['default']);
});

test('a cross-site POST as a browser page sends it (text/plain, foreign Origin, no token) applies nothing', async () => {
  // An HTML form or a no-cors fetch: a "simple" request, no preflight, body as text/plain.
  const formPost = await curl(['-X', 'POST', '-H', 'Content-Type: text/plain', '-H', 'Origin: http://evil.example', '-H', 'Sec-Fetch-Site: cross-site',
    '--data-binary', ATTACK, `${server}/api/v1/apply?file=attack.yaml`]);
  assert.equal(formPost.status, 403, formPost.body);
  assert.equal(JSON.parse(formPost.body).error, 'FORBIDDEN_ORIGIN');
  // Even with the token, a foreign Origin is refused, and a non-JSON body is refused (415).
  const auth = ['-H', `Authorization: Bearer ${await token()}`];
  const withToken = await curl([...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '-H', 'Origin: http://evil.example', '--data-binary', applyBody(), `${server}/api/v1/apply`]);
  assert.equal(withToken.status, 403);
  const textPlain = await curl([...auth, '-X', 'POST', '-H', 'Content-Type: text/plain', '--data-binary', ATTACK, `${server}/api/v1/apply?file=attack.yaml`]);
  assert.equal(textPlain.status, 415, textPlain.body);
  assert.equal(JSON.parse(textPlain.body).error, 'UNSUPPORTED_MEDIA_TYPE');
  assert.deepEqual(await peerAuthentications(), ['default']);
  // The API's own origin is accepted (what a same-origin request would carry).
  const sameOrigin = await curl([...auth, '-H', `Origin: ${server}`, `${server}/api/v1/resources?kind=PeerAuthentication`]);
  assert.equal(sameOrigin.status, 200);
});

test("a TLS Secret's private key appears in no endpoint's answer; weft get secret shows names, types and keys", async () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = `apiVersion: v1
kind: Secret
metadata:
  name: web-credential
  namespace: istio-system
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"tls.key":"${b64(keyPem)}"}}'
type: kubernetes.io/tls
data:
  tls.crt: ${b64(certPem)}
  tls.key: ${b64(keyPem)}
`;
  const file = path.join(root, 'secret.yaml');
  await writeFile(file, secret);
  const asOperator = { ...process.env, WEFT_API_TOKEN: await token() };
  const applied = await runWeft(['apply', '-f', file, '--server', server], { env: asOperator });
  assert.equal(applied.code, 0, applied.stderr);
  // Key material in every form it could leak in: the data value, the PEM body, each PEM line.
  const keyLines = keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
  const needles = [b64(keyPem).slice(0, 40), keyLines.join('').slice(0, 40), ...keyLines];
  const auth = ['-H', `Authorization: Bearer ${await token()}`];
  const answers: Record<string, string> = {};
  for (const p of ['/api/v1/resources?kind=Secret', '/api/v1/resources?kind=Secret&namespace=istio-system&name=web-credential', '/api/v1/resources', '/debug/configz', '/debug/registryz', '/debug/syncz', '/metrics', '/ready']) {
    const r = await curl([...auth, `${server}${p}`]);
    assert.equal(r.status, 200, p);
    answers[p] = r.body;
  }
  const reapply = await curl([...auth, '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify({ files: [{ file: 's.yaml', text: secret }] }), `${server}/api/v1/apply?dryRun=true`]);
  answers['apply'] = reapply.body;
  for (const cmd of [['get', 'secret', '-n', 'istio-system'], ['get', 'secret', 'web-credential', '-n', 'istio-system', '-o', 'yaml'], ['get', 'secrets', '-A', '-o', 'json']]) {
    const r = await runWeft([...cmd, '--server', server], { env: asOperator });
    assert.equal(r.code, 0, r.stderr);
    answers[cmd.join(' ')] = r.stdout;
  }
  for (const [where, body] of Object.entries(answers)) for (const n of needles) assert.ok(!body.includes(n), `private key material in ${where}`);
  // What is shown instead: as kubectl get (NAME TYPE DATA), plus the keys.
  assert.match(answers['get secret -n istio-system']!, /^NAME\s+TYPE\s+DATA\s+KEYS\s+SOURCE\n^web-credential\s+kubernetes\.io\/tls\s+2\s+tls\.crt,tls\.key\s+applied$/m);
  const yaml = answers['get secret web-credential -n istio-system -o yaml']!;
  const shown = parse(yaml) as { type: string; data: Record<string, string>; metadata: { annotations: Record<string, string> } };
  assert.equal(shown.type, 'kubernetes.io/tls');
  assert.deepEqual(shown.data, { 'tls.crt': '', 'tls.key': '' });
  // weft.io/config-source: where it comes from (issue 11's SOURCE), output only.
  assert.deepEqual(Object.keys(shown.metadata.annotations), ['weft.io/redacted', 'weft.io/config-source']);
  assert.equal(shown.metadata.annotations['weft.io/config-source'], 'applied');
  assert.match(shown.metadata.annotations['weft.io/redacted']!, /^values withheld: tls\.crt \d+ bytes, tls\.key \d+ bytes$/);
  // The redacted manifest applied back would wipe the Secret: refused.
  const back = path.join(root, 'back.yaml');
  await writeFile(back, yaml);
  const refused = await runWeft(['apply', '-f', back, '--server', server], { env: asOperator });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /REDACTED_SECRET/);
});

test('weft exec does not hand the API token to the command it runs', async () => {
  const r = await runWeft(['exec', 'web-0', '--server', server, '--', process.execPath, '-e', 'console.log(`token=${process.env.WEFT_API_TOKEN ?? "none"}`)'], {
    cwd: root,
    env: { ...process.env, WEFT_API_TOKEN: (await token()) || 'operator-token' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'token=none');
});

test('--api-tls serves the API over HTTPS with a mesh CA certificate; off loopback without the CA it refuses to start', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-api-tls-'));
  const tls = startWeft(['control', '--state', dir, '--xds-port', '0', '--http-port', '0', '--ca-port', '0', '--api-tls']);
  try {
    const m = await tls.waitFor(/API on (https:\/\/127\.0\.0\.1:\d+)/);
    const https = m[1]!;
    const ok = await runWeft(['get', 'pa', '-A', '--server', https, '--state', dir, '--ca-root', path.join(dir, 'root-cert.pem')]);
    assert.equal(ok.code, 0, ok.stderr);
    const unverified = await runWeft(['get', 'pa', '-A', '--server', https, '--state', dir]);
    assert.equal(unverified.code, 1);
    assert.match(unverified.stderr, /^weft: TLS_VERIFY_FAILED: /m);
    // curl verifying against the mesh root, and plaintext to the TLS port (refused by the TLS server).
    const viaCurl = await curl(['--cacert', path.join(dir, 'root-cert.pem'), '-H', `Authorization: Bearer ${(await readFile(path.join(dir, 'api-token'), 'utf8')).trim()}`, `${https}/debug/syncz`]);
    assert.equal(viaCurl.status, 200);
    const plain = await curl([`${https.replace('https:', 'http:')}/debug/syncz`]).catch(() => ({ status: 0, body: '' }));
    assert.notEqual(plain.status, 200);
  } finally {
    await tls.stop();
  }
  // 0.0.0.0 without the CA: refused before any port is bound.
  const refused = await runWeft(['control', '--state', dir, '--host', '0.0.0.0', '--xds-port', '-1', '--http-port', '0']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^weft: API_TLS_REQUIRED: .*must be served over TLS.*--xds-port -1/m);
  await rm(dir, { recursive: true, force: true });
});
