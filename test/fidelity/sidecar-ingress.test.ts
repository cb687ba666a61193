/**
 * Issue 12, Sidecar `ingress` listeners and inbound connection pools, end to end: a control plane
 * watching Istio YAML and a real server-side sidecar (`startProxy`, the resilience harness) whose
 * app listens on its own loopback address (as under `weft up`) on a port different from the
 * service port. Clients connect to the sidecar's inbound ports directly, as peers in the mesh do.
 * - `port` + `defaultEndpoint`: traffic arriving on the listener's port reaches the app on the
 *   defaultEndpoint's port (istiod's `buildInboundClustersFromSidecar`);
 * - `bind`: the listener accepts on that address, not on the pod IP;
 * - `connectionPool` / `inboundConnectionPool`: the pool of the listener's port, else the Sidecar's,
 *   limits the inbound cluster (`InboundConnectionPoolForPort`): the overflowing request gets 503 with
 *   `x-envoy-overloaded`, counted in `upstream_rq_pending_overflow`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { delayed, Mesh, reply, Upstream, waitUntil } from '../resilience/harness.js';

const POD_IP = '127.222.0.10';
const APP_HOST = '127.223.0.10';
const BIND_IP = '127.222.0.11';
const SERVICE_PORT = 19480;
const APP_PORT = 19481;
const BOUND_PORT = 19482;
const SLOW_APP_PORT = 19483;
const POOLED_PORT = 19484;

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: inb}
spec:
  selector: {app: inb}
  ports: [{name: http, port: ${SERVICE_PORT}}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: inb}
spec:
  workloadSelector: {labels: {app: inb}}
  inboundConnectionPool:
    tcp: {maxConnections: 1}
    http: {http1MaxPendingRequests: 1}
  ingress:
  - port: {number: ${SERVICE_PORT}, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:${APP_PORT}
  - port: {number: ${BOUND_PORT}, protocol: HTTP, name: http-bound}
    bind: ${BIND_IP}
    defaultEndpoint: 0.0.0.0:${SLOW_APP_PORT}
  - port: {number: ${POOLED_PORT}, protocol: HTTP, name: http-pooled}
    defaultEndpoint: 127.0.0.1:${SLOW_APP_PORT}
    connectionPool:
      tcp: {maxConnections: 100}
      http: {http1MaxPendingRequests: 100}
`;

const mesh = new Mesh(POD_IP);
const app = new Upstream(APP_HOST, APP_PORT);
const slowApp = new Upstream(APP_HOST, SLOW_APP_PORT);

before(async () => {
  app.behaviour = reply(200, { 'x-app': 'fast' });
  slowApp.behaviour = delayed(400);
  await mesh.start({ 'config.yaml': CONFIG }, [app, slowApp], { podName: 'inb-0', labels: { app: 'inb' }, appAddress: APP_HOST });
  await waitUntil(() => mesh.proxy.snapshot().clusters.has(`inbound|${POOLED_PORT}||`), 'inbound clusters from the ingress listeners');
  await waitUntil(async () => (await connectOutcome(POD_IP, SERVICE_PORT)) === 'connected', 'the inbound listener');
});

after(() => mesh.stop());

interface Got { status: number; headers: http.IncomingHttpHeaders; body: string }

/** One request on its own connection, straight to a sidecar inbound port. */
function get(host: string, port: number, path = '/'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, agent: false, headers: { host: `inb:${SERVICE_PORT}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the error code of a connection attempt (or 'connected'). */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: '/', agent: false });
    req.on('response', (res) => {
      res.resume();
      resolve('connected');
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

test('ingress port + defaultEndpoint 127.0.0.1:PORT: the app listening on another port answers through the sidecar', async () => {
  const before = app.count;
  const r = await get(POD_IP, SERVICE_PORT, '/hello');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['x-app'], 'fast');
  assert.equal(app.count, before + 1);
});

test('ingress bind: the listener accepts on the bind address only; defaultEndpoint 0.0.0.0:PORT reaches the app', async () => {
  const r = await get(BIND_IP, BOUND_PORT);
  assert.equal(r.status, 200, r.body);
  assert.equal(await connectOutcome(POD_IP, BOUND_PORT), 'ECONNREFUSED');
});

test('inboundConnectionPool limits a port without its own pool (503 UO); the ingress connectionPool of a port overrides it', async () => {
  const overflowBound = `cluster.inbound|${BOUND_PORT}||.upstream_rq_pending_overflow`;
  const overflowPooled = `cluster.inbound|${POOLED_PORT}||.upstream_rq_pending_overflow`;
  // Port with no listener pool: inboundConnectionPool (1 connection, 1 pending) applies; 4 at once overflow.
  const bound = await Promise.all([1, 2, 3, 4].map(() => get(BIND_IP, BOUND_PORT)));
  const overloaded = bound.filter((r) => r.status === 503);
  for (const r of overloaded) assert.equal(r.headers['x-envoy-overloaded'], 'true');
  assert.equal(bound.filter((r) => r.status === 200).length + overloaded.length, 4);
  assert.ok(overloaded.length >= 1 && overloaded.length <= 2, `${overloaded.length} of 4 overflowed`);
  assert.equal(await mesh.stat(overflowBound), overloaded.length);
  // Same app, port whose ingress listener sets a larger pool: nothing overflows.
  const pooled = await Promise.all([1, 2, 3, 4].map(() => get(POD_IP, POOLED_PORT)));
  assert.deepEqual(pooled.map((r) => r.status), [200, 200, 200, 200]);
  assert.equal(await mesh.stat(overflowPooled), 0);
});
