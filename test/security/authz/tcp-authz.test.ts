/**
 * AuthorizationPolicy on TCP, end to end (issue 10, "network authorization"): Istio's tcp-echo
 * server (samples/tcp-echo) behind a real sidecar, two client workloads with their own sidecars and
 * service accounts (`sleep`, `intruder`) reaching it over mTLS through their per-port outbound TCP
 * listeners, and raw plaintext clients bound to chosen loopback source addresses (PERMISSIVE port).
 * Each attack sends a line and reads until the connection closes:
 * - no policy: both clients get their echo (baseline);
 * - DENY-all on tcp-echo: the connection is closed without an echo and the echo server never
 *   sees a connection; `tcp.rbac.denied` and Istio's TCP metrics count it;
 * - ALLOW by principal (`sleep`): only `sleep` gets through;
 * - DENY by ipBlocks: only the listed source address is refused;
 * - a DENY rule carrying an HTTP field (methods) denies every TCP connection;
 * - an ALLOW rule carrying only HTTP fields (paths) lets nothing through.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createEchoServer } from '../../../samples/tcp-echo/echo-server.js';
import { admin } from '../mtls/mesh-fixture.js';
import { eventually, service, startAuthzMesh, type AuthzMesh, type Workload } from './fixture.js';

const PORT = 9000;
const ECHO = { ip: '127.77.7.20', app: '127.77.8.20' };
const SLEEP = { ip: '127.77.7.10', app: '127.77.8.10', sa: 'sleep' };
const INTRUDER = { ip: '127.77.7.11', app: '127.77.8.11', sa: 'intruder' };
/** Source addresses of the raw plaintext clients. */
const RAW_ALLOWED = '127.77.9.1';
const RAW_BLOCKED = '127.77.9.2';

const REGISTRY = service('tcp-echo', PORT, [{ ip: ECHO.ip, sa: 'tcp-echo', labels: { version: 'v1' } }], true, 'tcp');
const POLICY_FILE = 'policy.yaml';
const policy = (name: string, spec: string) =>
  `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: default}\nspec:\n  selector: {matchLabels: {app: tcp-echo}}\n${spec.replace(/^/gm, '  ')}\n`;

let mesh: AuthzMesh;
let echo: Workload;
let sleep: Workload;
let intruder: Workload;
let echoServer: net.Server;
/** Connections the echo server accepted. */
let seen = 0;

/**
 * Connects (from `localAddress`) to `host:port`, sends a line, finishes once the echo came back and
 * resolves with what came back before the close ('' when the connection was closed without one).
 */
function exchange(host: string, port: number, localAddress: string, text = 'hello\n'): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress }, () => socket.write(text));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      out += d;
      if (out.endsWith('\n')) socket.end();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', () => undefined);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

/** A client workload's connection to tcp-echo through its sidecar's outbound TCP listener (mTLS to tcp-echo's sidecar). */
const viaMesh = (w: Workload) => exchange(w.ip, PORT, w.appIp);
/** A plaintext connection straight to tcp-echo's sidecar from `source`. */
const direct = (source: string) => exchange(ECHO.ip, PORT, source);

/** Applies a policy and waits until `probe` shows it took effect. */
async function applyPolicy(yaml: string, probe: () => Promise<string>, expectEcho: boolean): Promise<void> {
  await mesh.apply(POLICY_FILE, yaml);
  await eventually(probe, (r) => (r === 'one hello\n') === expectEcho, 'the policy to reach the tcp-echo sidecar');
}

/** One measured attempt: what the client got, and how many connections the echo server saw meanwhile. */
async function attempt(run: () => Promise<string>): Promise<{ reply: string; serverSaw: number }> {
  const before = seen;
  const reply = await run();
  await new Promise((r) => setTimeout(r, 100));
  return { reply, serverSaw: seen - before };
}

async function statValue(name: string): Promise<number> {
  const text = await admin(echo.proxy, echo.ip, '/stats');
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return line ? Number(line.slice(name.length + 2)) : 0;
}

before(async () => {
  mesh = await startAuthzMesh({ 'registry.yaml': REGISTRY });
  echoServer = createEchoServer('one', () => undefined);
  echoServer.on('connection', () => seen++);
  await new Promise<void>((resolve, reject) => {
    echoServer.once('error', reject);
    echoServer.listen(PORT, ECHO.app, () => resolve());
  });
  echo = await mesh.sidecar('tcp-echo', ECHO.ip, ECHO.app, 'tcp-echo', { app: 'tcp-echo', version: 'v1', 'security.istio.io/tlsMode': 'istio' });
  sleep = await mesh.sidecar('sleep', SLEEP.ip, SLEEP.app, SLEEP.sa, { app: 'sleep' });
  intruder = await mesh.sidecar('intruder', INTRUDER.ip, INTRUDER.app, INTRUDER.sa, { app: 'intruder' });
  await eventually(() => viaMesh(sleep), (r) => r === 'one hello\n', 'sleep to reach tcp-echo through the mesh');
  await eventually(() => viaMesh(intruder), (r) => r === 'one hello\n', 'intruder to reach tcp-echo through the mesh');
});

after(async () => {
  await mesh?.stop();
  await new Promise<void>((r) => (echoServer ? echoServer.close(() => r()) : r()));
});

test('baseline: without a policy both workloads and plaintext clients get their echo', async () => {
  for (const run of [() => viaMesh(sleep), () => viaMesh(intruder), () => direct(RAW_ALLOWED)]) {
    const a = await attempt(run);
    assert.equal(a.reply, 'one hello\n');
    assert.equal(a.serverSaw, 1);
  }
});

test('DENY-all on tcp-echo closes the connection before the echo server sees it, and is counted', async () => {
  await applyPolicy(policy('deny-all', 'action: DENY\nrules: [{}]'), () => viaMesh(sleep), false);
  const deniedBefore = await statValue('tcp.rbac.denied');
  for (const run of [() => viaMesh(sleep), () => viaMesh(intruder), () => direct(RAW_ALLOWED)]) {
    const a = await attempt(run);
    assert.equal(a.reply, '', 'the client sees the connection closed without an echo');
    assert.equal(a.serverSaw, 0, 'the echo server never sees the connection');
  }
  assert.equal(await statValue('tcp.rbac.denied'), deniedBefore + 3);
  const prom = await admin(echo.proxy, echo.ip, '/stats/prometheus');
  const denied = /^envoy_tcp_rbac_denied (\d+)$/m.exec(prom);
  assert.ok(denied && Number(denied[1]) >= 3, 'envoy_tcp_rbac_denied in /stats/prometheus');
  // Istio's TCP metrics: the denied mTLS connections opened and closed, from the peer's identity.
  const opened = prom.split('\n').find((l) => l.startsWith('istio_tcp_connections_opened_total{') && l.includes('reporter="destination"') && l.includes('source_principal="spiffe://cluster.local/ns/default/sa/intruder"'));
  assert.ok(opened, 'istio_tcp_connections_opened_total records the intruder\'s connections');
});

test('ALLOW by principal: only sleep\'s identity gets through', async () => {
  await applyPolicy(policy('sleep-only', 'action: ALLOW\nrules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]}]'), () => viaMesh(sleep), true);
  const ok = await attempt(() => viaMesh(sleep));
  assert.deepEqual(ok, { reply: 'one hello\n', serverSaw: 1 });
  const bad = await attempt(() => viaMesh(intruder));
  assert.deepEqual(bad, { reply: '', serverSaw: 0 });
  // A plaintext client has no identity: refused too.
  assert.deepEqual(await attempt(() => direct(RAW_ALLOWED)), { reply: '', serverSaw: 0 });
});

test('DENY by ipBlocks refuses only the listed source address', async () => {
  await applyPolicy(policy('block-ip', `action: DENY\nrules: [{from: [{source: {ipBlocks: ["${RAW_BLOCKED}/32"]}}]}]`), () => direct(RAW_BLOCKED), false);
  assert.deepEqual(await attempt(() => direct(RAW_BLOCKED)), { reply: '', serverSaw: 0 });
  assert.deepEqual(await attempt(() => direct(RAW_ALLOWED)), { reply: 'one hello\n', serverSaw: 1 });
  assert.deepEqual(await attempt(() => viaMesh(sleep)), { reply: 'one hello\n', serverSaw: 1 });
});

test('a DENY rule carrying an HTTP field (methods) denies every TCP connection', async () => {
  await applyPolicy(policy('deny-get', 'action: DENY\nrules: [{to: [{operation: {methods: [GET]}}]}]'), () => viaMesh(sleep), false);
  assert.deepEqual(await attempt(() => viaMesh(sleep)), { reply: '', serverSaw: 0 });
  assert.deepEqual(await attempt(() => direct(RAW_ALLOWED)), { reply: '', serverSaw: 0 });
});

test('an ALLOW rule carrying only HTTP fields (paths) lets no TCP connection through', async () => {
  // First a policy that allows sleep, so the switch to the HTTP-only rule is observable.
  await applyPolicy(policy('allow-http', 'action: ALLOW\nrules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]}]'), () => viaMesh(sleep), true);
  await applyPolicy(policy('allow-http', 'action: ALLOW\nrules: [{to: [{operation: {paths: ["/*"]}}]}]'), () => viaMesh(sleep), false);
  assert.deepEqual(await attempt(() => viaMesh(sleep)), { reply: '', serverSaw: 0 });
  assert.deepEqual(await attempt(() => viaMesh(intruder)), { reply: '', serverSaw: 0 });
  // Removing the policy restores access.
  await mesh.remove(POLICY_FILE);
  await eventually(() => viaMesh(sleep), (r) => r === 'one hello\n', 'access after the policy is removed');
});
