/**
 * HTTP/2 end to end on loopback: an in-process control plane, a real sidecar and a real gateway
 * (`startProxy`), HTTP/1.1 and HTTP/2 upstreams. Covers h2c prior knowledge on the sidecar's
 * outbound listener and on a gateway listener (node's http2 client and the curl binary), HTTP/1.1
 * still served on the same ports, HTTP/2 upstreams with multiplexing (one connection, concurrent
 * streams, counted), `maxConcurrentStreams` and `http2MaxRequests`, gRPC-style trailers passed
 * through, and the gRPC shape of local replies.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { startTestProxy } from '../harness/proxy.js';
import { waitUntil } from '../harness/eventually.js';

const SIDECAR = '127.0.9.1';
const GATEWAY = '127.0.9.2';
const WEB = '127.0.9.11';
const H2UP = '127.0.9.12';
const GRPC = '127.0.9.13';

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-1}
spec: {address: ${WEB}, labels: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: h2svc}
spec: {selector: {app: h2svc}, ports: [{name: http2, port: 9090}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: h2svc-1}
spec: {address: ${H2UP}, labels: {app: h2svc}}
---
apiVersion: v1
kind: Service
metadata: {name: limited}
spec: {selector: {app: h2svc}, ports: [{name: http2, port: 9090}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited}
spec:
  host: limited
  trafficPolicy: {connectionPool: {http: {maxConcurrentStreams: 2}}}
---
apiVersion: v1
kind: Service
metadata: {name: capped}
spec: {selector: {app: h2svc}, ports: [{name: http2, port: 9090}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: capped}
spec:
  host: capped
  trafficPolicy: {connectionPool: {http: {http2MaxRequests: 2}}}
---
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec: {selector: {app: greeter}, ports: [{name: grpc, port: 9091}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-1}
spec: {address: ${GRPC}, labels: {app: greeter}}
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody}, ports: [{name: grpc, port: 9092}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: gw-web}
spec:
  hosts: ['*']
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /h2}}]
    route: [{destination: {host: h2svc, port: {number: 9090}}}]
  - route: [{destination: {host: web, port: {number: 9080}}}]
`;

let controlPlane: TestControlPlane | undefined;
let sidecar: ProxyHandle;
let gateway: ProxyHandle;
let gatewayPort = 0;
const h1Server = http.createServer((req, res) => {
  const body = JSON.stringify({ server: 'h1', version: req.httpVersion, host: req.headers.host, path: req.url, te: req.headers['transfer-encoding'] ?? null });
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});
/** Sessions and streams the HTTP/2 upstream saw. */
const h2Seen = { sessions: 0, streams: 0, maxActive: 0, active: 0 };
const h2Server = http2.createServer();
const grpcServer = http2.createServer();

function listen(server: http.Server | http2.Http2Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

interface H2Reply { status: number; headers: http2.IncomingHttpHeaders; body: string; trailers: http2.IncomingHttpHeaders | undefined; endStreamOnHeaders: boolean }

/** One request over an HTTP/2 session. */
function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const st = session.request(headers, { endStream: body === undefined });
    let out = '';
    let status = 0;
    let hdrs: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    let eos = false;
    st.on('response', (h, flags) => {
      status = Number(h[':status']);
      hdrs = h;
      eos = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    st.on('trailers', (t) => (trailers = t));
    st.setEncoding('utf8');
    st.on('data', (d: string) => (out += d));
    st.on('end', () => resolve({ status, headers: hdrs, body: out, trailers, endStreamOnHeaders: eos }));
    st.on('error', reject);
    if (body !== undefined) st.end(body);
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

async function stat(proxy: ProxyHandle, name: string): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get({ host: SIDECAR === proxy.nodeId.split('~')[1] ? SIDECAR : GATEWAY, port: proxy.adminPort, path: '/stats' }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? 0 : Number(line.slice(name.length + 2));
}

before(async () => {
  h2Server.on('session', () => h2Seen.sessions++);
  h2Server.on('stream', (stream, headers) => {
    h2Seen.streams++;
    h2Seen.active++;
    h2Seen.maxActive = Math.max(h2Seen.maxActive, h2Seen.active);
    stream.on('close', () => h2Seen.active--);
    stream.resume();
    const delay = Number(headers['x-delay-ms'] ?? 0);
    setTimeout(() => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ server: 'h2', authority: headers[':authority'], path: headers[':path'], te: headers['te'] ?? null }));
    }, delay);
  });
  grpcServer.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': `echo ${headers['te']}` }));
      stream.end(Buffer.concat(chunks));
    });
  });
  controlPlane = await startTestControlPlane({ files: { 'config.yaml': CONFIG }, tmpPrefix: 'weft-h2-' });
  await listen(h1Server, 9080, WEB);
  await listen(h2Server, 9090, H2UP);
  await listen(grpcServer, 9091, GRPC);
  sidecar = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'client-0', labels: { app: 'client' }, waitReady: false });
  gateway = await startTestProxy(controlPlane, { role: 'gateway', ip: GATEWAY, pod: 'istio-ingressgateway-0', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, waitReady: false });
  await Promise.all([sidecar.ready(), gateway.ready()]);
  await waitUntil(() => sidecar.snapshot().clusters.get('outbound|9091||greeter.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'sidecar endpoints');
  await waitUntil(() => gateway.ports().gateways.size > 0 && gateway.snapshot().clusters.get('outbound|9090||h2svc.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'gateway listener');
  gatewayPort = [...gateway.ports().gateways.values()][0]!;
});

after(async () => {
  await sidecar?.stop(500);
  await gateway?.stop(500);
  await controlPlane?.stop();
  for (const s of [h1Server, h2Server, grpcServer]) await new Promise<void>((r) => s.close(() => r()));
  h1Server.closeAllConnections();
});

test('h2c prior knowledge on the sidecar outbound listener: :authority picks the destination (HTTP/1.1 upstream)', async () => {
  const session = http2.connect(`http://${SIDECAR}:${sidecar.outboundPort()}`);
  try {
    const replies = await Promise.all([0, 1, 2].map((i) => h2Request(session, { ':path': `/a/${i}`, ':authority': 'web:9080' })));
    for (const [i, r] of replies.entries()) {
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body);
      assert.deepEqual([body.server, body.version, body.host, body.path, body.te], ['h1', '1.1', 'web:9080', `/a/${i}`, null]);
      assert.ok(r.headers['x-envoy-upstream-service-time'] !== undefined);
    }
    const post = await h2Request(session, { ':path': '/post', ':method': 'POST', ':authority': 'web:9080' }, 'x'.repeat(70_000));
    assert.equal(JSON.parse(post.body).te, 'chunked', 'an h2 body without content-length goes upstream chunked');
    // Unknown hosts pass through (ALLOW_ANY) to their own address: here a name that does not resolve.
    const none = await h2Request(session, { ':path': '/', ':authority': 'nowhere.invalid:9080' });
    assert.equal(none.status, 503);
    assert.match(none.body, /connection failure/);
  } finally {
    session.close();
  }
});

test('HTTP/1.1 keeps working on the same listener', async () => {
  const body = await curl(['-x', `http://${SIDECAR}:${sidecar.outboundPort()}`, 'http://web:9080/plain']);
  assert.equal(JSON.parse(body).path, '/plain');
});

test('curl --http2-prior-knowledge through the outbound listener and the gateway', async () => {
  const viaSidecar = await curl(['--http2-prior-knowledge', '-w', '\\n%{http_version}', '--connect-to', `web:9080:${SIDECAR}:${sidecar.outboundPort()}`, 'http://web:9080/curl']);
  const [json, version] = viaSidecar.split('\n');
  assert.equal(version, '2');
  assert.equal(JSON.parse(json!).path, '/curl');
  const viaGateway = await curl(['--http2-prior-knowledge', '-w', '\\n%{http_version}', `http://${GATEWAY}:${gatewayPort}/from-gw`]);
  const [gjson, gversion] = viaGateway.split('\n');
  assert.equal(gversion, '2');
  assert.equal(JSON.parse(gjson!).path, '/from-gw');
  const h2up = JSON.parse(await curl(['--http2-prior-knowledge', `http://${GATEWAY}:${gatewayPort}/h2/x`]));
  assert.deepEqual([h2up.server, h2up.path], ['h2', '/h2/x']);
});

test('HTTP/2 upstream: concurrent requests multiplex on one connection', async () => {
  h2Seen.sessions = 0;
  h2Seen.streams = 0;
  h2Seen.maxActive = 0;
  const cx = await stat(sidecar, 'cluster.outbound|9090||h2svc.default.svc.cluster.local.upstream_cx_total');
  const session = http2.connect(`http://${SIDECAR}:${sidecar.outboundPort()}`);
  try {
    const n = 8;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => h2Request(session, { ':path': `/m/${i}`, ':authority': 'h2svc:9090', 'x-delay-ms': '150' })));
    for (const r of replies) assert.equal(JSON.parse(r.body).server, 'h2');
    // HTTP/1.1 clients multiplex upstream too.
    const h1 = await Promise.all(Array.from({ length: 4 }, (_, i) => curl(['-x', `http://${SIDECAR}:${sidecar.outboundPort()}`, '-H', 'x-delay-ms: 100', `http://h2svc:9090/h1/${i}`])));
    for (const b of h1) assert.equal(JSON.parse(b).authority, 'h2svc:9090');
    assert.equal(h2Seen.streams, n + 4);
    assert.equal(h2Seen.sessions, 1, 'one upstream connection');
    assert.ok(h2Seen.maxActive >= n, `streams were concurrent (max ${h2Seen.maxActive})`);
    assert.equal(await stat(sidecar, 'cluster.outbound|9090||h2svc.default.svc.cluster.local.upstream_cx_total'), cx + (h2Seen.sessions - 0));
    assert.equal(await stat(sidecar, 'cluster.outbound|9090||h2svc.default.svc.cluster.local.upstream_rq_total') >= n + 4, true);
  } finally {
    session.close();
  }
});

test('maxConcurrentStreams opens more connections; http2MaxRequests bounds streams (UO)', async () => {
  h2Seen.sessions = 0;
  const session = http2.connect(`http://${SIDECAR}:${sidecar.outboundPort()}`);
  try {
    const six = await Promise.all(Array.from({ length: 6 }, () => h2Request(session, { ':path': '/l', ':authority': 'limited:9090', 'x-delay-ms': '150' })));
    for (const r of six) assert.equal(r.status, 200);
    assert.equal(h2Seen.sessions, 3, '6 concurrent streams at 2 per connection');
    const capped = await Promise.all(Array.from({ length: 5 }, () => h2Request(session, { ':path': '/c', ':authority': 'capped:9090', 'x-delay-ms': '200' })));
    const ok = capped.filter((r) => r.status === 200).length;
    const overflow = capped.filter((r) => r.status === 503 && r.headers['x-envoy-overloaded'] === 'true').length;
    assert.equal(ok, 2, 'two streams admitted');
    assert.equal(overflow, 3);
  } finally {
    session.close();
  }
});

test('gRPC: te: trailers upstream, trailers passed through unbuffered', async () => {
  const session = http2.connect(`http://${SIDECAR}:${sidecar.outboundPort()}`);
  try {
    const r = await h2Request(session, { ':path': '/helloworld.Greeter/SayHello', ':method': 'POST', ':authority': 'greeter:9091', 'content-type': 'application/grpc' }, '\0\0\0\0\x03abc');
    assert.equal(r.status, 200);
    assert.equal(r.body, '\0\0\0\0\x03abc');
    assert.equal(r.trailers?.['grpc-status'], '0');
    assert.equal(r.trailers?.['grpc-message'], 'echo trailers');
  } finally {
    session.close();
  }
});

test('gRPC local reply: HTTP 200, grpc-status + grpc-message, trailers-only', async () => {
  const session = http2.connect(`http://${SIDECAR}:${sidecar.outboundPort()}`);
  try {
    const r = await h2Request(session, { ':path': '/x.Y/Z', ':method': 'POST', ':authority': 'nobody:9092', 'content-type': 'application/grpc' }, '\0\0\0\0\0');
    assert.equal(r.status, 200);
    assert.equal(r.headers['grpc-status'], '14', 'no healthy upstream → UNAVAILABLE');
    assert.equal(r.headers['grpc-message'], 'no healthy upstream');
    assert.equal(r.headers['content-type'], 'application/grpc');
    assert.equal(r.endStreamOnHeaders, true, 'trailers-only response');
    assert.equal(r.body, '');
    const nr = await h2Request(session, { ':path': '/x.Y/Z', ':method': 'POST', ':authority': 'greeter:9091', 'content-type': 'application/grpc+proto', ':scheme': 'http' }, '');
    assert.equal(nr.status, 200);
  } finally {
    session.close();
  }
  // Over HTTP/1.1 the same reply has an empty body.
  const h1 = await new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request({ host: SIDECAR, port: sidecar.outboundPort(), method: 'POST', path: 'http://nobody:9092/x.Y/Z', headers: { host: 'nobody:9092', 'content-type': 'application/grpc' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual([h1.status, h1.headers['grpc-status'], h1.headers['content-length']], [200, '14', '0']);
});
