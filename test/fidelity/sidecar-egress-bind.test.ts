/**
 * Sidecar `egress[].bind` (issue 12): istiod gives an egress listener with a `bind` address its own
 * listener `<bind>_<port>`, bound to the port (captureMode NONE), routing only that entry's hosts
 * (the port's route configuration is the one of the egress listener that claims the port). Weft's
 * sidecars open it next to their outbound HTTP proxy; `bind: 127.0.0.1` means the pod's own
 * address (its pod IP here), so two pods with the same Sidecar each get their own; an explicit
 * other address is bound as given, and a second pod that cannot take it reports an error naming the
 * Sidecar. Before, the ports refused connections.
 *
 * Real sockets: an in-process control plane, two real sidecars selected by one Sidecar, HTTP and
 * TCP backends, curl to `<pod IP>:<port>` as an app that calls its egress listener directly.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { run, startMesh, startSidecar, stopAll, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';

const POD_A = '127.0.203.11';
const POD_B = '127.0.203.12';
const WEB = '127.0.203.51';
const OTHER = '127.0.203.52';
const ECHO = '127.0.203.53';
const TCP_BIND = '127.0.203.20';
const HTTP_PORT = 19410;
const TCP_PORT = 19411;

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: ${HTTP_PORT}, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-1}
spec: {address: ${WEB}, labels: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec: {selector: {app: other}, ports: [{port: ${HTTP_PORT}, name: http}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: other-1}
spec: {address: ${OTHER}, labels: {app: other}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec: {selector: {app: echo}, ports: [{port: ${TCP_PORT}, name: tcp}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: echo-1}
spec: {address: ${ECHO}, labels: {app: echo}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep-egress}
spec:
  workloadSelector: {labels: {app: sleep}}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - bind: 127.0.0.1
    port: {number: ${HTTP_PORT}, protocol: HTTP, name: http-web}
    captureMode: NONE
    hosts: ['./web.default.svc.cluster.local']
  - bind: ${TCP_BIND}
    port: {number: ${TCP_PORT}, protocol: TCP, name: tcp-echo}
    hosts: ['./echo.default.svc.cluster.local']
  - hosts: ['./*']
`;

let mesh: Mesh;
const proxies: ProxyHandle[] = [];
const logs: string[][] = [[], []];
const servers: (http.Server | net.Server)[] = [];

function httpApp(ip: string, name: string): Promise<http.Server> {
  const s = http.createServer((req, res) => res.end(`${name} ${req.url}`));
  servers.push(s);
  return new Promise((resolve, reject) => s.once('error', reject).listen(HTTP_PORT, ip, () => resolve(s)));
}

/** curl to an address as an app calling its egress listener; `host` is the Host header. */
async function curl(ip: string, host: string, p: string): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', '-H', `Host: ${host}`, `http://${ip}:${HTTP_PORT}${p}`]);
  assert.equal(r.code, 0, `curl ${ip}: ${r.stderr}`);
  return r.stdout;
}

/** One TCP round trip: sends `msg`, resolves with what comes back before the server closes. */
function tcpRoundTrip(ip: string, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip, port: TCP_PORT });
    let got = '';
    s.setTimeout(10_000, () => s.destroy(new Error('tcp timed out')));
    s.on('connect', () => s.end(msg));
    s.on('data', (d) => (got += String(d)));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

before(async () => {
  await httpApp(WEB, 'web');
  await httpApp(OTHER, 'other');
  const echo = net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d) => (got += String(d)));
    s.on('end', () => s.end(`echo:${got}`));
  });
  servers.push(echo);
  await new Promise<void>((resolve, reject) => echo.once('error', reject).listen(TCP_PORT, ECHO, () => resolve()));
  mesh = await startMesh({ 'config.yaml': CONFIG });
  for (const [i, ip] of [POD_A, POD_B].entries()) {
    const p = await startSidecar(mesh, { ip, pod: `sleep-${i}`, sa: 'sleep', labels: { app: 'sleep' }, log: (l) => logs[i]!.push(l) });
    proxies.push(p);
    await waitUntil(() => p.snapshot().clusters.get(`outbound|${HTTP_PORT}||web.default.svc.cluster.local`)?.hostSet.hosts.length === 1, `endpoints on sleep-${i}`);
    // Pod A takes the explicit TCP bind address before pod B starts.
    if (i === 0) await waitUntil(async () => (await tcpRoundTrip(TCP_BIND, 'probe').catch(() => '')) === 'echo:probe', 'the TCP bind listener on pod A');
  }
});

after(async () => {
  await stopAll(mesh, proxies, servers);
});

test('egress bind 127.0.0.1: each pod serves its egress listener on its own address and routes the entry\'s host', async () => {
  await waitUntil(async () => (await curl(POD_A, 'web', '/probe').catch(() => '')) === 'web /probe 200', 'the bind listener on pod A');
  assert.equal(await curl(POD_A, 'web', '/a'), 'web /a 200');
  assert.equal(await curl(POD_B, `web.default.svc.cluster.local:${HTTP_PORT}`, '/b'), 'web /b 200');
});

test('egress bind: a host outside the entry is not routed (REGISTRY_ONLY block_all 502), though the Sidecar imports it on other ports', async () => {
  await waitUntil(async () => (await curl(POD_A, 'web', '/probe').catch(() => '')) === 'web /probe 200', 'the bind listener on pod A');
  assert.match(await curl(POD_A, 'other', '/x'), / 502$/);
  assert.match(await curl(POD_A, 'other.default.svc.cluster.local', '/x'), / 502$/);
});

test('egress bind on an explicit address, TCP: the first pod proxies to the entry\'s service; the second reports the taken address naming the Sidecar', async () => {
  await waitUntil(async () => (await tcpRoundTrip(TCP_BIND, 'probe').catch(() => '')) === 'echo:probe', 'the TCP bind listener');
  assert.equal(await tcpRoundTrip(TCP_BIND, 'hello'), 'echo:hello');
  await waitUntil(() => logs[1]!.some((l) => l.includes(`Sidecar default/sleep-egress egress bind listener ${TCP_BIND}_${TCP_PORT}`) && l.includes('EADDRINUSE')), 'the bind error on pod B');
  assert.ok(!logs[0]!.some((l) => l.includes('bind failed')), logs[0]!.join('\n'));
});
