/**
 * End to end: an in-process control plane serving a Service with two WorkloadEntries (v1, v2), a
 * DestinationRule with subsets and a VirtualService (header match → v2, else 50/50), real upstream
 * servers on loopback addresses, and a real sidecar (`startProxy`) used as an HTTP proxy by node's
 * http client and by the `curl` binary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { waitUntil as pollUntil } from '../harness/eventually.js';
import { startTestProxy } from '../harness/proxy.js';
import { TypeUrl } from '../../src/envoy/type-url.js';

const V1 = '127.0.0.61';
const V2 = '127.0.0.62';
const SIDECAR = '127.0.0.60';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1}
spec: {address: ${V1}, labels: {app: reviews, version: v1}, ports: {http: 9080}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2}
spec: {address: ${V2}, labels: {app: reviews, version: v2}, ports: {http: 9080}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const vs = (w1: number, w2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{uri: {prefix: /api}}, {uri: {exact: /}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: ${w1}}
    - {destination: {host: reviews, subset: v2}, weight: ${w2}}
`;

let controlPlane: TestControlPlane | undefined;
let proxy: ProxyHandle;
const upstreams: http.Server[] = [];

function upstream(address: string, version: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ version, host: req.headers.host, path: req.url, requestId: req.headers['x-request-id'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(9080, address, () => resolve(server));
  });
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

const agent = new http.Agent({ keepAlive: true });

/** GET absolute-form through the sidecar, as an HTTP_PROXY client does. */
function viaProxy(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: SIDECAR, port: proxy.outboundPort(), method: 'GET', path: url, headers: { host: u.host, ...headers }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** 200 checks 50 ms apart (test/harness/eventually.ts). */
function waitUntil(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  return pollUntil(cond, what, { tries: 200, intervalMs: 50, timeoutMs: Infinity });
}

before(async () => {
  controlPlane = await startTestControlPlane({ files: { 'registry.yaml': REGISTRY, 'vs.yaml': vs(50, 50) }, tmpPrefix: 'weft-proxy-e2e-' });
  upstreams.push(await upstream(V1, 'v1'), await upstream(V2, 'v2'));
  proxy = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'client-0', labels: { app: 'client', version: 'v1' } });
  await waitUntil(() => proxy.snapshot().clusters.get('outbound|9080|v2|reviews.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'endpoints');
});

after(async () => {
  agent.destroy();
  await proxy?.stop(1000);
  await controlPlane?.stop();
  for (const s of upstreams) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
});

test('routes by header: end-user jason always reaches v2', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await viaProxy('http://reviews:9080/', { 'end-user': 'jason' });
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.equal(body.version, 'v2');
    assert.equal(body.host, 'reviews:9080');
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(r.headers['x-envoy-upstream-service-time'] !== undefined);
  }
});

test('weighted split 50/50 stays within 3 sigma over 400 requests', async () => {
  const n = 400;
  let v1 = 0;
  for (let i = 0; i < n; i++) {
    const r = await viaProxy('http://reviews:9080/api/x');
    assert.equal(r.status, 200);
    if (JSON.parse(r.body).version === 'v1') v1++;
  }
  const sigma = Math.sqrt(n * 0.5 * 0.5);
  assert.ok(Math.abs(v1 - n / 2) <= 3 * sigma, `v1 got ${v1} of ${n}`);
});

test('no matching route is 404 (NR); an unknown cluster is 503', async () => {
  const r = await viaProxy('http://reviews:9080/other');
  assert.equal(r.status, 404);
  assert.match(r.body, /no route/);
});

test('curl -x through the sidecar', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', '-x', `http://${SIDECAR}:${proxy.outboundPort()}`, '-H', 'end-user: jason', 'http://reviews:9080/'], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(JSON.parse(out).version, 'v2');
});

test('config change through the store takes effect (100% v1)', async () => {
  await controlPlane!.apply('vs.yaml', vs(100, 0));
  await waitUntil(async () => {
    const rc = proxy.ads.resources(TypeUrl.RouteConfiguration).get('9080') as { virtualHosts?: { routes?: { route?: { weightedClusters?: unknown; cluster?: string } }[] }[] } | undefined;
    return JSON.stringify(rc ?? {}).includes('"weight":{"value":100}') || JSON.stringify(rc ?? {}).includes('"cluster":"outbound|9080|v1|');
  }, 'route update');
  for (let i = 0; i < 20; i++) {
    const r = await viaProxy('http://reviews:9080/api');
    assert.equal(JSON.parse(r.body).version, 'v1');
  }
});

test('upstream down is 503 UF', async () => {
  const s = upstreams.shift()!;
  await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
  // v1 (100 %) is down now.
  const r = await viaProxy('http://reviews:9080/api');
  assert.equal(r.status, 503);
  assert.match(r.body, /connection failure/);
});

test('/stats/prometheus shows cluster and Istio counters', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: SIDECAR, port: proxy.prometheusPort, path: '/stats/prometheus' }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  assert.match(body, /envoy_cluster_upstream_rq_total\{cluster_name="outbound\|9080\|v2\|reviews.default.svc.cluster.local"\} \d+/);
  assert.match(body, /istio_requests_total\{reporter="source",source_workload="client-0".*destination_workload="reviews-v2".*response_code="200",.*response_flags="-"/);
  assert.match(body, /istio_requests_total\{.*response_code="503".*response_flags="UF(,URX)?"/); // URX: Istio's default retries (connect-failure) were exhausted, as Envoy flags it
  assert.match(body, /istio_requests_total\{.*response_code="404".*response_flags="NR"/);
  assert.match(body, /envoy_cluster_upstream_cx_total/);
});
