/**
 * End to end: fault injection (delay → DI, HTTP abort → FI with `fault filter abort`, gRPC abort →
 * 200 with grpc-status) and mirroring (every request reaches the mirror with a `-shadow` host, bodies
 * included; a slow mirror does not slow the primary; a mirror cluster that speaks HTTP/2 upstream
 * gets its copy over HTTP/2).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { delayed, Mesh, reply, service, Upstream, waitUntil } from './harness.js';

const mesh = new Mesh('127.0.2.1');
const ratings = new Upstream('127.0.2.11', 9080);
const v1 = new Upstream('127.0.2.21', 8000);
const v2 = new Upstream('127.0.2.22', 8000);
/** The mirror of `echo`: an h2c-only server (prior knowledge, no HTTP/1.1), port from this file's range. */
const H2_MIRROR = { address: '127.0.2.23', port: 19230 };
const h2Seen: { authority: string; body: string }[] = [];
const h2Mirror = http2.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    h2Seen.push({ authority: String(req.headers[':authority'] ?? ''), body });
    res.end('mirror');
  });
});

const FAULTS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {delay: {fixedDelay: 0.3s, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - match: [{headers: {x-abort: {exact: "1"}}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - match: [{headers: {x-grpc-abort: {exact: "1"}}}]
    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}
    route: [{destination: {host: ratings}}]
  - match: [{headers: {x-never: {exact: "1"}}}]
    fault: {abort: {httpStatus: 500, percentage: {value: 0}}}
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: ratings}}]
`;

const MIRROR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
  - route: [{destination: {host: httpbin, subset: v1}, weight: 100}]
    mirror: {host: httpbin, subset: v2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo-h2}
spec:
  host: echo-h2
  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  http:
  - route: [{destination: {host: echo}}]
    mirror: {host: echo-h2}
`;

before(async () => {
  await new Promise<void>((r) => h2Mirror.listen(H2_MIRROR.port, H2_MIRROR.address, r));
  await mesh.start({
    'registry.yaml': [
      service('ratings', 9080, [ratings.address]),
      service('httpbin', 8000, [v1.address, v2.address], [{ version: 'v1' }, { version: 'v2' }]),
      service('echo', 8000, [v1.address]),
      service('echo-h2', H2_MIRROR.port, [H2_MIRROR.address]),
    ].join('---\n'),
    'vs.yaml': `${FAULTS}---\n${MIRROR}`,
  }, [ratings, v1, v2]);
  await mesh.waitForHosts('outbound|8000|v2|httpbin.default.svc.cluster.local', 1);
  await mesh.waitForHosts('outbound|9080||ratings.default.svc.cluster.local', 1);
  await mesh.waitForHosts(`outbound|${H2_MIRROR.port}||echo-h2.default.svc.cluster.local`, 1);
});

after(async () => {
  await mesh.stop();
  await new Promise<void>((r) => h2Mirror.close(() => r()));
});

test('delay fault: the response waits at least the delay and is flagged DI', async () => {
  const r = await mesh.request('http://ratings:9080/', { headers: { 'end-user': 'jason' } });
  assert.equal(r.status, 200);
  assert.ok(r.ms >= 290, `took ${r.ms} ms`);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  assert.equal(await mesh.requestsWithFlags('DI'), 1);
  const fast = await mesh.request('http://ratings:9080/');
  assert.equal(fast.status, 200);
});

test('abort fault: status and body, flagged FI, upstream never reached', async () => {
  const before = ratings.count;
  const r = await mesh.request('http://ratings:9080/', { headers: { 'x-abort': '1' } });
  assert.equal(r.status, 418);
  assert.equal(r.body, 'fault filter abort');
  assert.equal(ratings.count, before);
  assert.equal(await mesh.requestsWithFlags('FI'), 1);
});

test('gRPC abort fault: HTTP 200 with grpc-status for gRPC requests', async () => {
  const r = await mesh.request('http://ratings:9080/pkg.Svc/M', { method: 'POST', headers: { 'x-grpc-abort': '1', 'content-type': 'application/grpc' }, body: '' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['grpc-status'], '14');
});

test('a fault with 0 % never fires', async () => {
  for (let i = 0; i < 10; i++) assert.equal((await mesh.request('http://ratings:9080/', { headers: { 'x-never': '1' } })).status, 200);
});

test('mirror: every request reaches v2 with a -shadow host; responses come from v1', async () => {
  const n = 10;
  for (let i = 0; i < n; i++) {
    const r = await mesh.request('http://httpbin:8000/get');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).host, 'httpbin:8000');
  }
  await waitUntil(() => v2.count >= n, 'mirrored requests');
  assert.equal(v1.count, n);
  assert.ok(v2.hosts.every((h) => h === 'httpbin-shadow:8000'), v2.hosts.join(','));
});

test('mirror: request bodies are mirrored', async () => {
  v2.recordBodies = true;
  const r = await mesh.request('http://httpbin:8000/post', { method: 'POST', body: 'hello mirror' });
  assert.equal(r.status, 200);
  await waitUntil(() => v2.bodies.includes('hello mirror'), 'mirrored body');
  v2.recordBodies = false;
});

test('mirror: a slow or failing mirror does not slow the primary', async () => {
  v2.behaviour = delayed(2000);
  for (let i = 0; i < 5; i++) {
    const r = await mesh.request('http://httpbin:8000/get');
    assert.equal(r.status, 200);
    assert.ok(r.ms < 1000, `primary took ${r.ms} ms with a 2 s mirror`);
  }
  v2.behaviour = (req) => req.socket.destroy();
  for (let i = 0; i < 3; i++) assert.equal((await mesh.request('http://httpbin:8000/get')).status, 200);
  v2.behaviour = reply(200);
});

test('mirror: a mirror cluster that speaks HTTP/2 upstream gets the copy over HTTP/2, body included', async () => {
  const before = h2Seen.length;
  const r = await mesh.request('http://echo:8000/post', { method: 'POST', body: 'to the h2 mirror' });
  assert.equal(r.status, 200);
  const get = await mesh.request('http://echo:8000/get');
  assert.equal(get.status, 200);
  await waitUntil(() => h2Seen.length >= before + 2, 'two requests mirrored over HTTP/2');
  const seen = h2Seen.slice(before);
  assert.deepEqual(seen.map((x) => x.authority), ['echo-shadow:8000', 'echo-shadow:8000']);
  assert.ok(seen.some((x) => x.body === 'to the h2 mirror'), JSON.stringify(seen));
  assert.equal(await mesh.stat(`cluster.outbound|${H2_MIRROR.port}||echo-h2.default.svc.cluster.local.upstream_rq_2xx`), 2);
});
