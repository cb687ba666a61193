/**
 * Issue 10 §4 and "Secrets at rest", attacked against a real `weft up` (run as root, as in a
 * container): workload isolation on one host.
 * - a compromised app (the fixture app's `/read` endpoint reads any path, as an exploited app
 *   would) tries to read the CA key, the bootstrap-token key, an applied Secret, the logs, and its
 *   sidecar's environment (bootstrap token, outbound credential);
 * - another local user (`setpriv --reuid=nobody …`) tries the same files, and sends requests
 *   through another pod's outbound listener (HTTP_PROXY, plain and CONNECT) to act with that pod's
 *   identity — while the pod's own app (curl with the HTTP_PROXY weft up gives it) and
 *   `weft exec` (run by the user running weft up) still get through;
 * - a web page using DNS rebinding (its own host name resolved to a pod IP) reads a sidecar's
 *   admin `/config_dump`;
 * - the app process runs as the app user (`/proc/PID/status`), and every file weft writes is
 *   0600 in 0700 directories, including a state directory left 0755/0644 by an older Weft.
 * Needs root (to switch users), like the container CI runs in.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';

const HTTP_PORT = 19380;
const API_PORT = 19314;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}`;
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** The fixture app: /whoami, /read?path= (a compromised app reading files), /call (curl through its HTTP_PROXY). */
const APP = `import http from 'node:http';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const send = (status, body) => { res.writeHead(status, { 'content-type': 'text/plain' }); res.end(body); };
  if (url.pathname === '/whoami') return send(200, JSON.stringify({ pid: process.pid, pod: process.env.POD_NAME, podIp: process.env.POD_IP, home: process.env.HOME }));
  if (url.pathname === '/read') {
    try { return send(200, readFileSync(url.searchParams.get('path'), 'utf8')); } catch (err) { return send(403, String(err.code)); }
  }
  if (url.pathname === '/call') {
    return execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://back:9080/'], { timeout: 10000 }, (err, stdout, stderr) => send(200, stdout + (err ? ' ' + stderr : '')));
  }
  send(200, 'hello from ' + process.env.POD_NAME);
});
server.listen(Number(process.env.PORT), process.env.HOST);
`;

const deployment = (name: string): string => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: ${name}
        image: example/${name}
        command: [node, app.mjs]
        ports: [{containerPort: 9080}]
`;

const MESH = `${deployment('front')}---
${deployment('back')}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - destination: {host: front}
`;

const SECRET = `apiVersion: v1
kind: Secret
metadata: {name: db-credentials}
type: Opaque
data: {password: ${Buffer.from('s3cr3t-db-password').toString('base64')}}
`;

let dir = '';
let state = '';
let mesh: WeftProcess | undefined;

function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command as another local user (nobody). */
const asNobody = (cmd: string, args: readonly string[]) => run('setpriv', [...NOBODY, '--', cmd, ...args]);

async function whoami(): Promise<{ pid: number; pod: string; podIp: string; home: string }> {
  const r = await get(`${GATEWAY}/whoami`);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as { pid: number; pod: string; podIp: string; home: string };
}

/** What the app gets when it reads `file`: its content (200) or the error code (403). */
async function appReads(file: string): Promise<{ status: number; body: string }> {
  const r = await get(`${GATEWAY}/read?path=${encodeURIComponent(file)}`);
  return { status: r.status, body: r.body };
}

/** Pod IP of a running sidecar by pod name (from its command line, which is public). */
function sidecarOf(pod: string): { pid: number; ip: string } {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.includes('sidecar') && argv[argv.indexOf('--pod') + 1] === pod) {
      const ip = argv[argv.indexOf('--ip') + 1];
      if (ip && ip.startsWith('127.150.')) return { pid: Number(pid), ip };
    }
  }
  throw new Error(`no sidecar for ${pod}`);
}

async function walk(p: string, out: string[] = []): Promise<string[]> {
  out.push(p);
  if ((await stat(p)).isDirectory()) for (const n of await readdir(p)) await walk(path.join(p, n), out);
  return out;
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'these attacks switch users: run as root (as CI does)');
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-isolation-'));
  await chmod(dir, 0o755); // the app user must be able to read the app (mkdtemp makes 0700)
  await writeFile(path.join(dir, 'app.mjs'), APP, { mode: 0o644 });
  await writeFile(path.join(dir, 'mesh.yaml'), MESH, { mode: 0o644 });
  // A state directory as an older Weft left it: world-readable directories and logs.
  state = path.join(dir, 'state');
  await mkdir(path.join(state, 'logs'), { recursive: true, mode: 0o755 });
  await chmod(state, 0o755);
  await chmod(path.join(state, 'logs'), 0o755);
  await writeFile(path.join(state, 'logs', 'old-pod.log'), 'old log line with a token\n', { mode: 0o644 });
  mesh = startWeft(['up', dir, '--state', state, '--http-port', String(HTTP_PORT), '--https-port', '19343', '--xds-port', '19310', '--api-port', String(API_PORT), '--ca-port', '19312', '--pod-net', '150']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
  const applied = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', state], { input: SECRET });
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
});

after(async () => {
  await mesh?.stop();
  closeClients();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the app runs as the unprivileged app user (nobody), with a private HOME', async () => {
  const me = await whoami();
  const status = await readFile(`/proc/${me.pid}/status`, 'utf8');
  assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m, status);
  assert.match(status, /^Groups:\s*$/m, 'supplementary groups cleared');
  const home = await stat(me.home);
  assert.equal(home.uid, 65534);
  assert.equal(home.mode & 0o777, 0o700);
});

test('a compromised app cannot read the CA key, the token key, applied Secrets, logs or its sidecar\'s environment', async () => {
  const me = await whoami();
  const sidecar = sidecarOf(me.pod);
  const secretFile = path.join(state, 'store', 'applied.journal'); // applied Secrets live in the journal
  const targets = [
    path.join(state, 'store', 'ca-key.pem'),
    path.join(state, 'store', 'bootstrap-token.key'),
    secretFile,
    path.join(state, 'logs', `${me.pod}.log`),
    path.join(state, 'logs', 'old-pod.log'),
    `/proc/${sidecar.pid}/environ`,
  ];
  // The files exist and hold what an attacker wants (read here as root, the user running weft up).
  assert.match(await readFile(targets[0]!, 'utf8'), /PRIVATE KEY/);
  assert.match(await readFile(secretFile, 'utf8'), /password/);
  assert.match(await readFile(targets[5]!, 'utf8'), /WEFT_BOOTSTRAP_TOKEN=|WEFT_OUTBOUND_CREDENTIAL=/);
  for (const file of targets) {
    const r = await appReads(file);
    assert.equal(r.status, 403, `the app read ${file}: ${r.body.slice(0, 80)}`);
    assert.equal(r.body, 'EACCES', file);
  }
});

test('another local user cannot read the CA key, the token key, applied Secrets or logs', async () => {
  const files = [
    path.join(state, 'store', 'ca-key.pem'),
    path.join(state, 'store', 'bootstrap-token.key'),
    path.join(state, 'store', 'applied.journal'),
    path.join(state, 'logs', 'front-0.log'),
    path.join(state, 'logs', 'old-pod.log'),
  ];
  for (const file of files) {
    const r = await asNobody('cat', [file]);
    assert.notEqual(r.code, 0, `nobody read ${file}: ${r.stdout.slice(0, 80)}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Permission denied/);
  }
});

test('every file weft wrote is 0600 and every directory 0700, the old 0755/0644 state included', async () => {
  const paths = await walk(state);
  assert.ok(paths.length >= 8, paths.join('\n'));
  for (const p of paths) {
    const st = await stat(p);
    assert.equal(st.mode & 0o777, st.isDirectory() ? 0o700 : 0o600, `${p} is ${(st.mode & 0o777).toString(8)}`);
  }
});

test("another local user's request through a pod's outbound listener is refused; the pod's own app and weft exec get through", async () => {
  const back = sidecarOf('back-0');
  const asBack = (extra: readonly string[]) => asNobody('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...extra]);
  // Plain proxied request, as HTTP_PROXY users send it: would leave with back's SPIFFE identity.
  assert.equal((await asBack(['-x', `http://${back.ip}:15001`, 'http://front:9080/'])).stdout, '407');
  // Guessing a credential does not help.
  assert.equal((await asBack(['-x', `http://weft:guess-guess-guess-guess@${back.ip}:15001`, 'http://front:9080/'])).stdout, '407');
  // CONNECT tunnel (curl -p): refused before any upstream connection.
  const tunnel = await asBack(['-p', '-x', `http://${back.ip}:15001`, 'http://front:9080/']);
  assert.match(tunnel.stdout + tunnel.stderr, /407/);
  // The pod's own app: curl with the HTTP_PROXY weft up gave it.
  const own = await get(`${GATEWAY}/call`);
  assert.equal(own.body, '200', own.body);
  // weft exec, run by the user who runs weft up: allowed.
  const exec = await runWeft(['exec', 'back', '--server', SERVER, '--state', state, '--', 'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://front:9080/']);
  assert.equal(exec.stdout, '200', exec.stderr);
  // undici's EnvHttpProxyAgent sends the credential on CONNECT, then plain requests inside the tunnel.
  const undici = path.join(REPO_ROOT, 'node_modules', 'undici');
  const script = `const { EnvHttpProxyAgent, request } = require(${JSON.stringify(undici)});
request('http://front:9080/', { dispatcher: new EnvHttpProxyAgent() }).then(async (r) => { process.stdout.write(r.statusCode + ' ' + (await r.body.text())); });`;
  const viaUndici = await runWeft(['exec', 'back', '--server', SERVER, '--state', state, '--', process.execPath, '--no-warnings', '-e', script]);
  assert.equal(viaUndici.stdout, '200 hello from front-0', viaUndici.stderr);
});

test('admin: a DNS-rebinding request (a web site\'s name as Host) is refused; /config_dump by address holds no private key', async () => {
  const back = sidecarOf('back-0');
  const rebound = await get(`http://${back.ip}:15000/config_dump`, { host: `attacker.example:15000` });
  assert.equal(rebound.status, 403, rebound.body.slice(0, 200));
  const byAddress = await get(`http://${back.ip}:15000/config_dump`);
  assert.equal(byAddress.status, 200);
  assert.doesNotMatch(byAddress.body, /PRIVATE KEY/);
});
