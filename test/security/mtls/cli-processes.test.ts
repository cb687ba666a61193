/**
 * The same mesh as real processes, as `weft up` runs it: `weft control` (CA on a free port, root and
 * token key in its state directory), two `weft proxy` sidecars started with `--ca`, `--ca-root` and
 * a bootstrap token file minted from the state directory, and `curl -x` through the client sidecar.
 * A token for another service account gets no certificate and the proxy does not start.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mintBootstrapToken } from '../../../src/security/ca/bootstrap-token.js';
import { startWeft, type WeftProcess } from '../../helpers/weft-process.js';
import { echoApp, run } from './mesh-fixture.js';

const CLIENT = '127.0.0.121';
const SERVER = '127.0.0.122';
const APP = '127.0.0.123';
const PORT = 8003;

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: ${PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-0}
spec:
  address: ${SERVER}
  serviceAccount: web
  labels: {app: web, security.istio.io/tlsMode: istio}
  ports: {http: ${PORT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
`;

let dir = '';
let control: WeftProcess | undefined;
const procs: WeftProcess[] = [];
let app: http.Server | undefined;
let xds = '';
let ca = '';

async function tokenFile(sa: string): Promise<string> {
  const f = path.join(dir, `${sa}-${procs.length}.token`);
  await writeFile(f, await mintBootstrapToken(path.join(dir, 'state'), { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: sa }), { mode: 0o600 });
  return f;
}

function sidecar(ip: string, pod: string, sa: string, labels: string, token: string, extra: string[] = []): WeftProcess {
  const p = startWeft(['proxy', '--role', 'sidecar', '--ip', ip, '--pod', pod, '--namespace', 'default', '--labels', labels, '--service-account', sa,
    '--xds', xds, '--outbound-port', '0', '--admin-port', '0', '--ready-port', '0', '--prometheus-port', '0', '--drain', '500',
    '--ca', ca, '--ca-root', path.join(dir, 'state', 'root-cert.pem'), '--token-file', token, ...extra]);
  procs.push(p);
  return p;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-mtls-cli-'));
  await writeFile(path.join(dir, 'registry.yaml'), REGISTRY);
  control = startWeft(['control', '--config', dir, '--state', path.join(dir, 'state'), '--xds-port', '0', '--http-port', '0', '--debounce', '20']);
  const m = await control.waitFor(/xDS on [\d.]+:(\d+)[\s\S]*CA on ([\d.]+:\d+)/);
  xds = `127.0.0.1:${m[1]}`;
  ca = m[2]!;
  app = await echoApp(APP, PORT, 'web');
});

after(async () => {
  for (const p of procs) await p.stop();
  await control?.stop();
  if (app) await new Promise<void>((r) => { app!.close(() => r()); app!.closeAllConnections(); });
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('weft control + two weft proxy processes: STRICT mTLS with certificates from bootstrap tokens', { timeout: 60_000 }, async () => {
  const server = sidecar(SERVER, 'web-0', 'web', 'app=web,security.istio.io/tlsMode=istio', await tokenFile('web'), ['--app-address', APP]);
  const client = sidecar(CLIENT, 'sleep-0', 'sleep', 'app=sleep', await tokenFile('sleep'));
  await server.waitFor(/weft proxy: ready/, 20_000);
  const port = (await client.waitFor(/ready, outbound on [\d.]+:(\d+)/, 20_000))[1]!;
  let out = { code: 1, stdout: '', stderr: '' };
  for (let i = 0; i < 40; i++) {
    out = await run('curl', ['-sS', '--max-time', '5', '-x', `http://${CLIENT}:${port}`, `http://web:${PORT}/hello`]);
    if (out.code === 0 && out.stdout.includes('"name":"web"')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(out.code, 0, out.stderr);
  const body = JSON.parse(out.stdout) as { headers: Record<string, string> };
  assert.match(body.headers['x-forwarded-client-cert'] ?? '', /URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
  const direct = await run('curl', ['-sS', '--max-time', '5', '--noproxy', '*', `http://${SERVER}:${PORT}/`]);
  assert.notEqual(direct.code, 0, 'plaintext to a STRICT port must fail');
  assert.match(server.output() + client.output(), /identity: certificate for spiffe:\/\/cluster\.local\/ns\/default\/sa\/(web|sleep)/);
});

test('a token bound to another service account gets no certificate: the proxy refuses to start', { timeout: 30_000 }, async () => {
  const rogue = sidecar('127.0.0.124', 'rogue-0', 'admin', 'app=rogue', await tokenFile('sleep'));
  await rogue.waitFor(/CSR_IDENTITY_MISMATCH/, 20_000);
  assert.notEqual(await rogue.stop(), 0);
  assert.match(control!.output(), /ca: refused a CSR: CSR_IDENTITY_MISMATCH/);
});
