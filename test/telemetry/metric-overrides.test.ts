/**
 * Telemetry `metrics` end to end (issue 12), through real sidecars: a control plane with the mesh
 * CA, a client sidecar (`sleep`) and a server sidecar in front of an HTTP app and a TCP app
 * (`httpbin`), the proxies' `/stats/prometheus` scraped as Prometheus would. Istio's stats filter
 * semantics (pilot/pkg/model/telemetry.go `mergeMetrics`, `generateStatsConfig`; the proxy's
 * istio_stats filter):
 * - a mesh-wide Telemetry in the root namespace disabling REQUEST_SIZE / RESPONSE_SIZE removes
 *   `istio_request_bytes` / `istio_response_bytes` on both sides; deleting it brings them back
 *   (a new xDS push, no restart);
 * - a workload Telemetry's `tagOverrides` UPSERT `request_host: request.host` adds the request's
 *   host as a label, REMOVE `request_protocol` drops that label;
 * - `match.mode: CLIENT` changes only the caller's (`reporter="source"`) series;
 * - `reportingInterval`: a long-lived TCP connection's `istio_tcp_sent_bytes_total` grows while it
 *   is still open (Istio's `tcp_reporting_duration`).
 * Each failed against the proxy that ignored Telemetry metrics.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { admin, echoApp, startMesh, startSidecar, stopAll, viaSidecar, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';

const CLIENT = '127.0.200.10';
const SERVER = '127.0.200.20';
const APP = '127.0.200.21';
const HTTP_PORT = 19120;
const TCP_PORT = 19121;

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: ${HTTP_PORT}}, {name: tcp, port: ${TCP_PORT}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: httpbin-0}
spec:
  address: ${SERVER}
  serviceAccount: httpbin
  labels: {app: httpbin, security.istio.io/tlsMode: istio}
  ports: {http: ${HTTP_PORT}, tcp: ${TCP_PORT}}
`;

const MESH_TELEMETRY = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  metrics:
  - providers: [{name: prometheus}]
    reportingInterval: 1s
    overrides:
    - match: {metric: REQUEST_SIZE}
      disabled: true
    - match: {metric: RESPONSE_SIZE}
      disabled: true
    - match: {metric: REQUEST_COUNT, mode: CLIENT}
      tagOverrides:
        caller_side: {value: "'client'"}
`;

const WORKLOAD_TELEMETRY = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: httpbin-tags, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  metrics:
  - overrides:
    - match: {metric: REQUEST_COUNT}
      tagOverrides:
        request_host: {value: request.host}
        request_protocol: {operation: REMOVE}
`;

let mesh: Mesh;
let client: ProxyHandle;
let server: ProxyHandle;
let app: http.Server;
const tcpApp = net.createServer((s) => s.on('data', (d) => s.write(d)));
const sockets: net.Socket[] = [];

/** The `/stats/prometheus` series of `metric` on a proxy (sample lines, not HELP/TYPE). */
async function series(proxy: ProxyHandle, ip: string, metric: string): Promise<string[]> {
  return (await admin(proxy, ip, '/stats/prometheus')).split('\n').filter((l) => l.startsWith(`${metric}{`));
}

const value = (line: string): number => Number(line.slice(line.lastIndexOf(' ') + 1));

async function get(p: string): Promise<void> {
  const r = await viaSidecar(client, CLIENT, `http://httpbin:${HTTP_PORT}${p}`);
  assert.equal(r.status, 200, r.body);
}

before(async () => {
  mesh = await startMesh({ 'registry.yaml': REGISTRY, 'mesh-telemetry.yaml': MESH_TELEMETRY, 'workload-telemetry.yaml': WORKLOAD_TELEMETRY });
  app = await echoApp(APP, HTTP_PORT, 'httpbin');
  await new Promise<void>((resolve, reject) => tcpApp.once('error', reject).listen(TCP_PORT, APP, () => resolve()));
  server = await startSidecar(mesh, { ip: SERVER, pod: 'httpbin-0', sa: 'httpbin', labels: { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' }, appAddress: APP });
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-0', sa: 'sleep', labels: { app: 'sleep' } });
  await waitUntil(() => (client.snapshot().clusters.get(`outbound|${HTTP_PORT}||httpbin.default.svc.cluster.local`)?.hostSet.hosts.length ?? 0) === 1, 'client endpoints');
  await waitUntil(() => server.ports().inbound.has(HTTP_PORT), 'server inbound port');
  for (let i = 0; i < 3; i++) await get(`/warm/${i}`);
  await waitUntil(async () => (await series(server, SERVER, 'istio_requests_total')).length > 0, 'server request series');
});

after(async () => {
  for (const s of sockets) s.destroy();
  await stopAll(mesh, [client, server], [app, tcpApp]);
});

test('a root-namespace Telemetry disabling REQUEST_SIZE and RESPONSE_SIZE removes those series on both sides', async () => {
  for (const [p, ip] of [[client, CLIENT], [server, SERVER]] as const) {
    assert.ok((await series(p, ip, 'istio_requests_total')).length > 0, `${ip} still counts requests`);
    assert.ok((await series(p, ip, 'istio_request_duration_milliseconds_count')).length > 0, `${ip} still times requests`);
    assert.deepEqual(await series(p, ip, 'istio_request_bytes_count'), [], `${ip} reports no request sizes`);
    assert.deepEqual(await series(p, ip, 'istio_response_bytes_count'), [], `${ip} reports no response sizes`);
  }
});

test('a workload Telemetry upserts request_host from request.host and removes request_protocol', async () => {
  const lines = await series(server, SERVER, 'istio_requests_total');
  const inbound = lines.filter((l) => l.includes('reporter="destination"'));
  assert.ok(inbound.length > 0, lines.join('\n'));
  for (const l of inbound) {
    assert.match(l, new RegExp(`request_host="httpbin:${HTTP_PORT}"`), l);
    assert.doesNotMatch(l, /request_protocol=/, l);
  }
  // The caller is not selected by the workload Telemetry: its labels are Istio's standard ones.
  const outbound = (await series(client, CLIENT, 'istio_requests_total')).filter((l) => l.includes('reporter="source"'));
  assert.ok(outbound.length > 0);
  for (const l of outbound) {
    assert.match(l, /request_protocol="http"/, l);
    assert.doesNotMatch(l, /request_host=/, l);
  }
});

test('match.mode CLIENT changes only the caller\'s reporter="source" series', async () => {
  const source = (await series(client, CLIENT, 'istio_requests_total')).filter((l) => l.includes('reporter="source"'));
  assert.ok(source.length > 0);
  for (const l of source) assert.match(l, /caller_side="client"/, l);
  const destination = (await series(server, SERVER, 'istio_requests_total')).filter((l) => l.includes('reporter="destination"'));
  assert.ok(destination.length > 0);
  for (const l of destination) assert.doesNotMatch(l, /caller_side=/, l);
});

test('reportingInterval: a long-lived TCP connection\'s istio_tcp_sent_bytes_total grows while it is still open', async () => {
  const sock = net.connect(client.outboundPort(), CLIENT);
  sockets.push(sock);
  let got = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (got += d));
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.write(`CONNECT httpbin:${TCP_PORT} HTTP/1.1\r\nHost: httpbin:${TCP_PORT}\r\n\r\n`);
  await waitUntil(() => got.includes('\r\n\r\n'), 'CONNECT answered');
  assert.match(got, /^HTTP\/1\.1 200/);
  got = '';
  const payload = 'x'.repeat(4000);
  sock.write(payload);
  await waitUntil(() => got.length >= payload.length, 'echo through the tunnel');
  // The connection stays open: the byte counters must be reported before it closes.
  const sent = async (p: ProxyHandle, ip: string, reporter: string) =>
    (await series(p, ip, 'istio_tcp_sent_bytes_total')).filter((l) => l.includes(`reporter="${reporter}"`)).reduce((n, l) => n + value(l), 0);
  await waitUntil(async () => (await sent(client, CLIENT, 'source')) >= payload.length, 'client tcp_sent_bytes while open');
  await waitUntil(async () => (await sent(server, SERVER, 'destination')) >= payload.length, 'server tcp_sent_bytes while open');
  assert.equal(sock.destroyed, false, 'the connection is still open');
  // More bytes on the same connection are reported at the next interval.
  const before1 = await sent(client, CLIENT, 'source');
  got = '';
  sock.write(payload);
  await waitUntil(() => got.length >= payload.length, 'second echo');
  await waitUntil(async () => (await sent(client, CLIENT, 'source')) >= before1 + payload.length, 'counter grows on the open connection');
  sock.destroy();
});

test('changing the Telemetry at runtime changes the metrics without a restart (xDS push)', async () => {
  await mesh.remove('mesh-telemetry.yaml');
  await waitUntil(async () => {
    await get('/after-delete');
    return (await series(client, CLIENT, 'istio_request_bytes_count')).length > 0 && (await series(server, SERVER, 'istio_response_bytes_count')).length > 0;
  }, 'size series back after the Telemetry is deleted');
  const source = (await series(client, CLIENT, 'istio_requests_total')).filter((l) => l.includes('reporter="source"') && l.includes('caller_side='));
  // Series recorded before the change stay (Prometheus counters); new requests carry no caller_side.
  const fresh = (await series(client, CLIENT, 'istio_requests_total')).filter((l) => l.includes('reporter="source"') && !l.includes('caller_side='));
  assert.ok(source.length > 0 && fresh.length > 0, 'new requests are counted without the removed override');
});
