/**
 * Access logs end to end: an in-process control plane and a real sidecar on loopback, upstream
 * apps, and access logging switched through the Telemetry API while the mesh runs (files written
 * by the proxy's buffered sink). Off by default; Istio's text format with the right codes, flags and
 * details for 200, NR, UF, UH and FI; JSON with a `response.code >= 400` filter; a workload-level
 * Telemetry overriding the root namespace; and mesh config `accessLogFile` on its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { meshConfigWith } from '../../src/config/mesh-config.js';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { startTestProxy } from '../harness/proxy.js';
import { request, waitUntil } from './mesh-fixture.js';

const SIDECAR = '127.0.14.1';
const UP = '127.0.14.2';
const DEAD = '127.0.14.3';
const SIDECAR2 = '127.0.14.4';

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
spec: {address: ${UP}, labels: {app: reviews, version: v1}, ports: {http: 9080}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-fault: {exact: abort}}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: reviews}}]
  - name: api
    match: [{uri: {prefix: /api}}]
    route: [{destination: {host: reviews}}]
---
apiVersion: v1
kind: Service
metadata: {name: dead}
spec:
  selector: {app: dead}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: dead-v1}
spec: {address: ${DEAD}, labels: {app: dead}, ports: {http: 9080}}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nobody}
  ports: [{name: http, port: 9080}]
`;

let dir = '';
let controlPlane: TestControlPlane | undefined;
let proxy: ProxyHandle;
let upstream: http.Server;
const textLog = () => path.join(dir, 'text.log');
const jsonLog = () => path.join(dir, 'json.log');

const telemetry = (name: string, ns: string, spec: string) => `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}
`;

const get = (url: string, headers: Record<string, string> = {}) => request(SIDECAR, proxy.outboundPort(), url, { host: new URL(url).host, 'user-agent': 'weft-test/1', ...headers });
const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

/** Waits until the sidecar's outbound 9080 HCM has (or lacks) access logs. */
async function logsConfigured(on: boolean): Promise<void> {
  await waitUntil(() => (proxy.snapshot().outboundByPort.get(9080)?.accessLogs !== undefined) === on, `access logs ${on ? 'on' : 'off'}`);
}

/** Waits for `n` lines in `file` (the sink writes asynchronously). */
async function waitLines(file: string, n: number): Promise<string[]> {
  let got: string[] = [];
  await waitUntil(async () => (got = await lines(file)).length >= n, `${n} lines in ${path.basename(file)}`, 5000);
  return got;
}

before(async () => {
  controlPlane = await startTestControlPlane({
    files: { 'registry.yaml': REGISTRY }, tmpPrefix: 'weft-accesslog-',
    mesh: (d) => meshConfigWith({
      extensionProviders: [
        { name: 'text-file', envoyFileAccessLog: { path: path.join(d, 'text.log') } },
        { name: 'json-file', envoyFileAccessLog: { path: path.join(d, 'json.log'), logFormat: { labels: {} } } },
      ],
    }),
  });
  dir = controlPlane.dir;
  upstream = http.createServer((req, res) => {
    const body = JSON.stringify({ path: req.url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => upstream.listen(9080, UP, () => r()));
  proxy = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'client-0', labels: { app: 'client' }, workloadName: 'client' });
  await waitUntil(() => proxy.snapshot().clusters.get('outbound|9080||reviews.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'endpoints');
});

after(async () => {
  await proxy?.stop(300);
  await new Promise<void>((r) => { upstream?.close(() => r()); upstream?.closeAllConnections(); });
  await controlPlane?.stop();
});

test('off by default: requests leave no access log', async () => {
  assert.equal((await get('http://reviews:9080/api/a')).status, 200);
  assert.equal(proxy.snapshot().outboundByPort.get(9080)?.accessLogs, undefined);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([await lines(textLog()), await lines(jsonLog())], [[], []]);
});

test("Telemetry in the root namespace turns on Istio's text format: 200, NR, UF, UH and FI with their flags and details", async () => {
  await writeFile(path.join(dir, 'telemetry.yaml'), telemetry('mesh-default', 'istio-system', '  accessLogging: [{providers: [{name: text-file}]}]'));
  await logsConfigured(true);
  const codes = [];
  codes.push((await get('http://reviews:9080/api/ok', { 'x-request-id': 'rid-ok' })).status);
  codes.push((await get('http://reviews:9080/nowhere', { 'x-request-id': 'rid-nr' })).status);
  codes.push((await get('http://dead:9080/', { 'x-request-id': 'rid-uf' })).status);
  codes.push((await get('http://empty:9080/', { 'x-request-id': 'rid-uh' })).status);
  codes.push((await get('http://reviews:9080/api/x', { 'x-request-id': 'rid-fi', 'x-fault': 'abort' })).status);
  assert.deepEqual(codes, [200, 404, 503, 503, 418]);
  const got = await waitLines(textLog(), 5);
  const byId = (id: string) => got.find((l) => l.includes(`"${id}"`)) ?? assert.fail(`no line for ${id}: ${got.join('\n')}`);
  const re = /^\[(\S+)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) (\S+) (\S+) "(.*?)" (\d+) (\d+) (\d+) (\S+) "(.*?)" "(.*?)" "(.*?)" "(.*?)" "(.*?)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/;
  const ok = re.exec(byId('rid-ok')) ?? assert.fail(byId('rid-ok'));
  assert.ok(!Number.isNaN(Date.parse(ok[1]!)));
  assert.deepEqual([ok[2], ok[3], ok[4], ok[5], ok[6], ok[7]], ['GET', '/api/ok', 'HTTP/1.1', '200', '-', 'via_upstream']);
  assert.match(ok[13]!, /^\d+$/, 'x-envoy-upstream-service-time');
  assert.deepEqual([ok[15], ok[16], ok[17], ok[18]], ['weft-test/1', 'rid-ok', 'reviews:9080', `${UP}:9080`]);
  assert.equal(ok[19], 'outbound|9080||reviews.default.svc.cluster.local');
  assert.match(ok[22]!, /^127\.0\.0\.1:\d+$/, 'downstream remote address');
  assert.equal(ok[24], 'api', 'route name (the VirtualService http route name)');
  const fields = (id: string) => (re.exec(byId(id)) ?? assert.fail(byId(id))).slice(5, 8);
  assert.deepEqual(fields('rid-nr'), ['404', 'NR', 'route_not_found']);
  // Istio's default retries (2 attempts, connect-failure) run out: UF plus URX, as Envoy logs it.
  assert.deepEqual(fields('rid-uf'), ['503', 'UF,URX', 'upstream_reset_before_response_started{connection_failure}']);
  assert.deepEqual(fields('rid-uh'), ['503', 'UH', 'no_healthy_upstream']);
  assert.deepEqual(fields('rid-fi'), ['418', 'FI', 'fault_filter_abort']);
});

test('JSON provider with filter response.code >= 400 logs only the failures, typed', async () => {
  await writeFile(path.join(dir, 'telemetry.yaml'), telemetry('mesh-default', 'istio-system', "  accessLogging: [{providers: [{name: json-file}], filter: {expression: 'response.code >= 400'}}]"));
  await waitUntil(() => proxy.snapshot().outboundByPort.get(9080)?.accessLogs?.[0]?.path === jsonLog(), 'json provider');
  const before = (await lines(textLog())).length;
  await get('http://reviews:9080/api/fine', { 'x-request-id': 'j-ok' });
  await get('http://reviews:9080/nope', { 'x-request-id': 'j-nr' });
  await get('http://dead:9080/', { 'x-request-id': 'j-uf' });
  const got = (await waitLines(jsonLog(), 2)).map((l) => JSON.parse(l) as Record<string, unknown>);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(got.map((j) => j['request_id']), ['j-nr', 'j-uf'], 'the 200 is filtered out');
  assert.deepEqual([got[0]!['response_code'], got[0]!['response_flags'], got[0]!['upstream_host'], got[0]!['route_name']], [404, 'NR', null, null]);
  assert.deepEqual([got[1]!['response_code'], got[1]!['response_flags'], got[1]!['upstream_cluster']], [503, 'UF,URX', 'outbound|9080||dead.default.svc.cluster.local']);
  assert.equal(typeof got[1]!['duration'], 'number');
  assert.equal((await lines(textLog())).length, before, 'the text provider is no longer configured');
});

test('a workload Telemetry disabling the provider overrides the root namespace; deleting it restores logs', async () => {
  await writeFile(path.join(dir, 'client-off.yaml'), telemetry('client-off', 'default', '  selector: {matchLabels: {app: client}}\n  accessLogging: [{providers: [{name: json-file}], disabled: true}]'));
  await logsConfigured(false);
  const n = (await lines(jsonLog())).length;
  await get('http://reviews:9080/nope', { 'x-request-id': 'w-nr' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await lines(jsonLog())).length, n);
  await unlink(path.join(dir, 'client-off.yaml'));
  await logsConfigured(true);
  await get('http://reviews:9080/nope', { 'x-request-id': 'w-nr2' });
  const after2 = await waitLines(jsonLog(), n + 1);
  assert.equal(JSON.parse(after2[after2.length - 1]!).request_id, 'w-nr2');
  await unlink(path.join(dir, 'telemetry.yaml'));
  await logsConfigured(false);
});

test('mesh config accessLogFile alone (weft control --access-log-file) logs every request; a second sidecar shares nothing', async () => {
  const cp2 = await startTestControlPlane({
    files: { 'registry.yaml': REGISTRY }, tmpPrefix: 'weft-accesslog2-',
    mesh: (d) => meshConfigWith({ accessLogFile: path.join(d, 'mesh.log'), accessLogEncoding: 'TEXT' }),
  });
  const d2 = cp2.dir;
  let p2: ProxyHandle | undefined;
  try {
    p2 = await startTestProxy(cp2, { ip: SIDECAR2, pod: 'c2-0', labels: { app: 'c2' } });
    const p = p2;
    await waitUntil(() => p.snapshot().outboundByPort.get(9080)?.accessLogs !== undefined && p.snapshot().clusters.get('outbound|9080||reviews.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'mesh-wide log');
    const r = await request(SIDECAR2, p.outboundPort(), 'http://reviews:9080/api/m', { host: 'reviews:9080', 'x-request-id': 'm-1' });
    assert.equal(r.status, 200);
    const got = await waitLines(path.join(d2, 'mesh.log'), 1);
    assert.match(got[0]!, /"GET \/api\/m HTTP\/1\.1" 200 - via_upstream .*"m-1" "reviews:9080"/);
  } finally {
    await p2?.stop(300);
    await cp2.stop();
  }
});
