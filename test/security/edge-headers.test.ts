/**
 * Edge header hygiene (issue 10, item 6), attacked through a real ingress gateway and real
 * sidecars with mTLS (in-process control plane and CA, test/security/authz/fixture.ts), with real
 * HTTP clients on loopback:
 *
 * - an external client's `x-envoy-upstream-rq-timeout-ms` neither shortens nor lengthens the
 *   route timeout; `x-envoy-retry-on: 5xx` + `x-envoy-max-retries: 200` against an always-500
 *   upstream causes one upstream request (counted at the upstream app);
 * - `x-envoy-original-path`, `x-envoy-internal` and the peer-metadata headers from outside never
 *   reach the app; an external `x-request-id` is replaced (kept when `preserveExternalRequestId`);
 *   `gatewayTopology.numTrustedProxies` picks `x-envoy-external-address` and the address
 *   AuthorizationPolicy `remoteIpBlocks` sees from XFF; a DestinationRule `retryBudget` bounds
 *   concurrent retries;
 * - an app forging `x-forwarded-client-cert` toward another sidecar: the server app sees exactly
 *   the element its sidecar built from the verified peer; plaintext requests carry no XFCC;
 * - inside the mesh a sidecar client may still shorten its timeout with the header (design.md §5),
 *   and `x-envoy-max-retries: 200` is capped at 10 retries.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { eventually, listen, service, startAuthzMesh, viaSidecar, type AuthzMesh, type Reply, type Workload } from './authz/fixture.js';
import { issue, makeCa, secretYaml } from './gateway-tls/fixture.js';

const PORT = 8080;
const GW = '127.88.0.1';
/** The external client's source address. */
const OUTSIDE = '127.88.0.99';
const ECHO = { ip: '127.88.0.10', app: '127.88.0.11' };
const FAIL = { ip: '127.88.0.20', app: '127.88.0.21' };
const SLEEP = { ip: '127.88.0.30', app: '127.88.0.31' };
/** An always-500 app outside the mesh, behind a DestinationRule retryBudget. */
const FLAKY_APP = '127.88.0.41';

/** An app recording each request's headers; answers JSON `{headers}` after `?delay=ms`, with `status`. */
class App {
  readonly seen: http.IncomingHttpHeaders[] = [];
  readonly server: http.Server;
  constructor(status: number) {
    this.server = http.createServer((req, res) => {
      this.seen.push(req.headers);
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      req.resume();
      setTimeout(() => {
        const body = JSON.stringify({ headers: req.headers });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }, Math.min(delay, 10_000));
    });
  }
}

const GATEWAY_CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: ['*']
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /short}}]
    timeout: 3s
    route: [{destination: {host: echo, port: {number: ${PORT}}}}]
  - match: [{uri: {prefix: /long}}]
    timeout: 400ms
    route: [{destination: {host: echo, port: {number: ${PORT}}}}]
  - match: [{uri: {prefix: /fail}}]
    timeout: 3s
    route: [{destination: {host: fail, port: {number: ${PORT}}}}]
  - route: [{destination: {host: echo, port: {number: ${PORT}}}}]
`;

/** Certificates (openssl CLI) for a MUTUAL gateway server: its CA, server and client certificates. */
const certDir = mkdtempSync(path.join(os.tmpdir(), 'weft-edge-'));
process.on('exit', () => rmSync(certDir, { recursive: true, force: true }));
const ca = makeCa(certDir);
const serverCert = issue(certDir, ca, 'server', 'mtls.example.com', 'example');
const clientCert = issue(certDir, ca, 'client', 'client.example.com', 'client org', 'client');
const read = (p: string) => readFileSync(p, 'utf8');

const MUTUAL_CONFIG = [
  secretYaml('edge-mtls', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(serverCert.cert), 'tls.key': read(serverCert.key), 'ca.crt': read(ca.cert) }),
  `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge-mtls}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [mtls.example.com], tls: {mode: MUTUAL, credentialName: edge-mtls}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge-mtls}
spec:
  hosts: [mtls.example.com]
  gateways: [edge-mtls]
  http: [{route: [{destination: {host: echo, port: {number: ${PORT}}}}]}]
`,
].join('---\n');

/** A request from outside the mesh to a gateway port (fresh connection from {@link OUTSIDE}). */
function external(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply & { ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: GW, port, path, localAddress: OUTSIDE, headers: { host: 'edge.example.com', ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** An HTTPS request with a client certificate to a MUTUAL gateway port, from {@link OUTSIDE}. */
function externalMutual(port: number, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: GW, port, path: '/mtls', localAddress: OUTSIDE, servername: 'mtls.example.com', ca: read(ca.cert), cert: read(clientCert.cert), key: read(clientCert.key),
      headers: { host: 'mtls.example.com', ...headers }, agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function appHeaders(r: Reply): http.IncomingHttpHeaders {
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { headers: http.IncomingHttpHeaders }).headers;
}

/** XFCC elements (commas inside quoted values, e.g. a Subject DN, do not split). */
function xfccElements(v: unknown): string[] {
  return typeof v === 'string' ? (v.match(/(?:[^,"]|"(?:\\.|[^"\\])*")+/g) ?? []) : [];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('edge header hygiene: gateway and sidecars with Istio defaults', () => {
  let mesh: AuthzMesh;
  let gw: ProxyHandle;
  let gwPort = 0;
  let mtlsPort = 0;
  let sleep: Workload;
  const echo = new App(200);
  const fail = new App(500);

  before(async () => {
    const registry = [
      service('echo', PORT, [{ ip: ECHO.ip, sa: 'echo' }]),
      service('fail', PORT, [{ ip: FAIL.ip, sa: 'fail' }]),
      service('sleep', PORT, [{ ip: SLEEP.ip, sa: 'sleep' }]),
    ].join('---\n');
    mesh = await startAuthzMesh({ 'registry.yaml': registry, 'gateway.yaml': GATEWAY_CONFIG, 'mutual.yaml': MUTUAL_CONFIG });
    await listen(mesh.own(echo.server), ECHO.app, PORT);
    await listen(mesh.own(fail.server), FAIL.app, PORT);
    const tls = { 'security.istio.io/tlsMode': 'istio' };
    await mesh.sidecar('echo', ECHO.ip, ECHO.app, 'echo', { app: 'echo', ...tls });
    await mesh.sidecar('fail', FAIL.ip, FAIL.app, 'fail', { app: 'fail', ...tls });
    sleep = await mesh.sidecar('sleep', SLEEP.ip, SLEEP.app, 'sleep', { app: 'sleep', ...tls });
    gw = await mesh.gateway(GW);
    await eventually(async () => {
      gwPort = gw.ports().gateways.get('0.0.0.0_80') ?? 0;
      return gwPort === 0 ? 0 : (await external(gwPort, '/ready')).status;
    }, (s) => s === 200, 'gateway route to echo');
    await eventually(async () => {
      mtlsPort = gw.ports().gateways.get('0.0.0.0_443') ?? 0;
      return mtlsPort === 0 ? 0 : (await externalMutual(mtlsPort, {})).status;
    }, (s) => s === 200, 'MUTUAL gateway route to echo');
    await eventually(() => viaSidecar(sleep, `http://echo:${PORT}/ready`), (r) => r.status === 200, 'sidecar route to echo');
  });

  after(async () => {
    await mesh?.stop();
  });

  test('an external x-envoy-upstream-rq-timeout-ms does not shorten the route timeout (3 s route, 600 ms app, header 100)', async () => {
    const r = await external(gwPort, '/short?delay=600', { 'x-envoy-upstream-rq-timeout-ms': '100' });
    assert.equal(r.status, 200, `the client's header cut the route timeout: ${r.status} after ${Math.round(r.ms)} ms`);
  });

  test('an external x-envoy-upstream-rq-timeout-ms does not lengthen the route timeout (400 ms route, 1.5 s app, header 5000)', async () => {
    const r = await external(gwPort, '/long?delay=1500', { 'x-envoy-upstream-rq-timeout-ms': '5000' });
    assert.equal(r.status, 504, `the client's header extended the route timeout: ${r.status} after ${Math.round(r.ms)} ms`);
    assert.ok(r.ms < 1400, `took ${Math.round(r.ms)} ms`);
  });

  test('x-envoy-retry-on: 5xx + x-envoy-max-retries: 200 from outside cause one upstream request to an always-500 app', async () => {
    const before = fail.seen.length;
    const r = await external(gwPort, '/fail', { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '200' });
    assert.equal(r.status, 500);
    // Let any retry still scheduled reach the app before counting.
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(fail.seen.length - before, 1, `upstream saw ${fail.seen.length - before} requests for one client request`);
  });

  test('x-envoy-original-path, x-envoy-internal, peer-metadata and other x-envoy-* headers from outside do not reach the app', async () => {
    const forged = {
      'x-envoy-original-path': '/admin/forged', 'x-envoy-internal': 'true', 'x-envoy-peer-metadata': 'Zm9yZ2Vk',
      'x-envoy-peer-metadata-id': 'sidecar~10.0.0.1~forged.default~default.svc.cluster.local', 'x-envoy-decorator-operation': 'forged',
      'x-envoy-downstream-service-cluster': 'forged', 'x-envoy-external-address': '203.0.113.66',
    };
    const h = appHeaders(await external(gwPort, '/echo', forged));
    for (const name of ['x-envoy-original-path', 'x-envoy-internal', 'x-envoy-peer-metadata', 'x-envoy-peer-metadata-id', 'x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster']) {
      assert.equal(h[name], undefined, `${name} reached the app: ${String(h[name])}`);
    }
    // The gateway names the real client, not the claimed one (Envoy's x-envoy-external-address).
    assert.equal(h['x-envoy-external-address'], OUTSIDE);
    assert.ok(!JSON.stringify(h).includes('forged'), JSON.stringify(h));
  });

  test('an external x-request-id is replaced by a fresh one', async () => {
    const h = appHeaders(await external(gwPort, '/echo', { 'x-request-id': 'attacker-chosen-id' }));
    assert.notEqual(h['x-request-id'], 'attacker-chosen-id');
    assert.match(String(h['x-request-id']), UUID);
  });

  test('XFCC forged by the client app toward another sidecar: the server app sees only the verified peer', async () => {
    const forged = 'By=spiffe://cluster.local/ns/default/sa/echo;URI=spiffe://cluster.local/ns/default/sa/admin';
    const h = appHeaders(await viaSidecar(sleep, `http://echo:${PORT}/xfcc`, { headers: { 'x-forwarded-client-cert': forged, 'x-envoy-peer-metadata': 'Zm9yZ2Vk' } }));
    // The server side consumes peer metadata (Istio's metadata exchange); an app's forged value never arrives.
    assert.equal(h['x-envoy-peer-metadata'], undefined);
    const xfcc = String(h['x-forwarded-client-cert']);
    assert.ok(!xfcc.includes('sa/admin'), `the forged element reached the app: ${xfcc}`);
    assert.equal(xfccElements(xfcc).length, 1, xfcc);
    assert.match(xfcc, /^By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/echo;Hash=[0-9a-f]{64};Subject="[^"]*";URI=spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep$/);
  });

  test('XFCC forged by an external client through the gateway: the app sees only the gateway as the verified peer', async () => {
    const forged = 'By=spiffe://cluster.local/ns/default/sa/echo;URI=spiffe://cluster.local/ns/default/sa/admin';
    const h = appHeaders(await external(gwPort, '/echo', { 'x-forwarded-client-cert': forged }));
    const xfcc = String(h['x-forwarded-client-cert']);
    assert.ok(!xfcc.includes('sa/admin'), xfcc);
    assert.match(xfcc, /^By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/echo;Hash=[0-9a-f]{64};Subject="[^"]*";URI=spiffe:\/\/cluster\.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account$/);
  });

  test('MUTUAL gateway (SANITIZE_SET, istiod\'s default): the app sees the verified client certificate, never the forged XFCC', async () => {
    const forged = 'Hash=0000;URI=spiffe://cluster.local/ns/default/sa/admin';
    const h = appHeaders(await externalMutual(mtlsPort, { 'x-forwarded-client-cert': forged }));
    const [fromGateway, fromSidecar, ...rest] = xfccElements(h['x-forwarded-client-cert']);
    assert.deepEqual(rest, []);
    const hash = createHash('sha256').update(new X509Certificate(read(clientCert.cert)).raw).digest('hex');
    assert.match(fromGateway!, new RegExp(`^Hash=${hash};Subject="[^"]*CN=client\\.example\\.com[^"]*";DNS=client\\.example\\.com$`));
    assert.match(fromSidecar!, /^By=spiffe:\/\/cluster\.local\/ns\/default\/sa\/echo;Hash=[0-9a-f]{64};Subject="[^"]*";URI=spiffe:\/\/cluster\.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account$/);
  });

  test('plaintext request straight to the server sidecar (PERMISSIVE) with a forged XFCC: the app gets no XFCC at all', async () => {
    const r = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: ECHO.ip, port: PORT, path: '/plain', headers: { 'x-forwarded-client-cert': 'URI=spiffe://cluster.local/ns/default/sa/admin' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(appHeaders(r)['x-forwarded-client-cert'], undefined);
  });

  test('inside the mesh a sidecar client may still shorten its timeout with x-envoy-upstream-rq-timeout-ms', async () => {
    const started = performance.now();
    const r = await viaSidecar(sleep, `http://echo:${PORT}/slow?delay=1500`, { headers: { 'x-envoy-upstream-rq-timeout-ms': '200' } });
    assert.equal(r.status, 504);
    assert.ok(performance.now() - started < 1400);
  });

  test('inside the mesh x-envoy-max-retries: 200 is capped: at most 11 upstream requests to an always-500 app', async () => {
    const before = fail.seen.length;
    const r = await viaSidecar(sleep, `http://fail:${PORT}/fail`, { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '200', 'x-envoy-upstream-rq-timeout-ms': '8000' } });
    assert.equal(r.status, 500);
    await new Promise((res) => setTimeout(res, 300));
    const n = fail.seen.length - before;
    assert.equal(n, 11, `upstream saw ${n} requests for one client request`);
  });
});

/** GATEWAY_CONFIG with a first route to `flaky` that retries 5xx 3 times, and a retryBudget on `flaky`. */
const BUDGET_CONFIG = `${GATEWAY_CONFIG.replace('  http:\n', `  http:
  - match: [{uri: {prefix: /budget}}]
    timeout: 5s
    retries: {attempts: 3, retryOn: 5xx}
    route: [{destination: {host: flaky, port: {number: ${PORT}}}}]
`)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky}
spec:
  host: flaky
  trafficPolicy: {retryBudget: {percent: 0, minRetryConcurrency: 1}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-remote, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  action: DENY
  rules: [{from: [{source: {remoteIpBlocks: [198.51.100.7/32]}}]}]
`;

describe('edge header hygiene: mesh config preserveExternalRequestId and gatewayTopology; DestinationRule retryBudget', () => {
  let mesh: AuthzMesh;
  let gw: ProxyHandle;
  let gwPort = 0;
  const echo = new App(200);
  const flaky = new App(500);

  before(async () => {
    // The apps are outside the mesh (no sidecar): the gateway's request is what they receive.
    const registry = [service('echo', PORT, [{ ip: ECHO.app, sa: 'echo' }], false), service('flaky', PORT, [{ ip: FLAKY_APP, sa: 'flaky' }], false)].join('---\n');
    mesh = await startAuthzMesh({ 'registry.yaml': registry, 'gateway.yaml': BUDGET_CONFIG }, {
      preserveExternalRequestId: true,
      gatewayTopology: { numTrustedProxies: 2, forwardClientCertDetails: 'ALWAYS_FORWARD_ONLY' },
    });
    await listen(mesh.own(echo.server), ECHO.app, PORT);
    await listen(mesh.own(flaky.server), FLAKY_APP, PORT);
    gw = await mesh.gateway(GW);
    await eventually(async () => {
      gwPort = gw.ports().gateways.get('0.0.0.0_80') ?? 0;
      return gwPort === 0 ? 0 : (await external(gwPort, '/ready')).status;
    }, (s) => s === 200, 'gateway route to echo');
  });

  after(async () => {
    await mesh?.stop();
  });

  test('preserveExternalRequestId: the external x-request-id is kept', async () => {
    const h = appHeaders(await external(gwPort, '/echo', { 'x-request-id': 'client-chosen-id' }));
    assert.equal(h['x-request-id'], 'client-chosen-id');
  });

  test('numTrustedProxies: 2 takes the second XFF entry from the right as the client, and x-envoy-* is still stripped', async () => {
    const h = appHeaders(await external(gwPort, '/echo', { 'x-forwarded-for': '56.5.6.7, 72.9.5.6, 98.1.2.3', 'x-envoy-internal': 'true' }));
    assert.equal(h['x-envoy-external-address'], '72.9.5.6');
    assert.equal(h['x-forwarded-for'], `56.5.6.7, 72.9.5.6, 98.1.2.3, ${OUTSIDE}`);
    assert.equal(h['x-envoy-internal'], undefined);
  });

  test('numTrustedProxies feeds AuthorizationPolicy remoteIpBlocks: the client address at the trusted XFF position is denied, the same address elsewhere is not', async () => {
    const denied = await external(gwPort, '/echo', { 'x-forwarded-for': '1.1.1.1, 198.51.100.7, 2.2.2.2' });
    assert.equal(denied.status, 403, denied.body);
    const spoofed = await external(gwPort, '/echo', { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.7' });
    assert.equal(spoofed.status, 200, 'with 2 trusted proxies the client is the 2nd entry from the right, here 2.2.2.2');
  });

  test('forwardClientCertDetails: ALWAYS_FORWARD_ONLY passes the client XFCC on', async () => {
    const h = appHeaders(await external(gwPort, '/echo', { 'x-forwarded-client-cert': 'Hash=abc' }));
    assert.equal(h['x-forwarded-client-cert'], 'Hash=abc');
  });

  test('retryBudget {percent: 0, minRetryConcurrency: 1}: six concurrent failing requests share one retry slot (without it: 24 upstream requests)', async () => {
    await eventually(async () => (await external(gwPort, '/budget')).status, (st) => st === 500, 'budget route');
    const before = flaky.seen.length;
    const replies = await Promise.all(Array.from({ length: 6 }, () => external(gwPort, '/budget?delay=300')));
    assert.ok(replies.every((r) => r.status === 500), JSON.stringify(replies.map((r) => r.status)));
    await new Promise((res) => setTimeout(res, 300));
    const n = flaky.seen.length - before;
    assert.ok(n >= 7 && n <= 12, `upstream saw ${n} requests (6 first attempts, at most one retry at a time)`);
    const stats = await new Promise<string>((resolve, reject) => {
      http.get(`http://${GW}:${gw.adminPort}/stats`, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    const line = stats.split('\n').find((l) => l.startsWith('cluster.outbound|8080||flaky.default.svc.cluster.local.upstream_rq_retry_overflow: '));
    assert.ok(line !== undefined && Number(line.slice(line.lastIndexOf(' ') + 1)) >= 1, `retry overflow: ${line}`);
  });
});
