/**
 * CUSTOM authorization with an HTTP ext_authz provider (Istio's "External Authorization" task): a
 * check server on loopback declared in mesh config `extensionProviders[].envoyExtAuthzHttp`, a
 * CUSTOM policy on httpbin for `/headers*`. The server allows requests carrying
 * `x-ext-authz: allow` (a header passed by `includeRequestHeadersInCheck`) and denies others with
 * its own status and body; unmatched paths are never checked; an unreachable server fails closed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { echoServer, eventually, listen, service, startAuthzMesh, viaSidecar, type AuthzMesh, type Reply, type Workload } from './fixture.js';

const HTTPBIN = '127.77.4.10';
const HTTPBIN_APP = '127.77.4.11';
const SLEEP = '127.77.4.12';
const AUTHZ = '127.77.4.13';

let mesh: AuthzMesh;
let sleep: Workload;
let authz: http.Server;
const checks: { path: string; headers: http.IncomingHttpHeaders }[] = [];

const custom = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: CUSTOM
  provider: {name: sample-ext-authz-http}
  rules: [{to: [{operation: {paths: ["/headers*"]}}]}]
`;

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return viaSidecar(sleep, `http://httpbin:8000${path}`, { headers });
}

function checkServer(): http.Server {
  return http.createServer((req, res) => {
    checks.push({ path: req.url ?? '', headers: req.headers });
    if (req.headers['x-ext-authz'] === 'allow') {
      res.writeHead(200, { 'x-ext-authz-check-result': 'allowed' }).end();
    } else {
      res.writeHead(403, { 'x-ext-authz-check-result': 'denied', 'content-type': 'text/plain' }).end('denied by ext_authz for not found header `x-ext-authz: allow` in the request');
    }
  });
}

before(async () => {
  const registry = [
    service('httpbin', 8000, [{ ip: HTTPBIN, sa: 'httpbin' }]),
    service('sleep', 80, [{ ip: SLEEP, sa: 'sleep' }]),
    service('ext-authz', 8000, [{ ip: AUTHZ, sa: 'ext-authz' }], false),
  ].join('---\n');
  mesh = await startAuthzMesh({ 'registry.yaml': registry }, {
    extensionProviders: [{
      name: 'sample-ext-authz-http',
      envoyExtAuthzHttp: {
        service: 'ext-authz.default.svc.cluster.local', port: 8000, pathPrefix: '/check', timeout: '2s',
        includeRequestHeadersInCheck: ['x-ext-authz'], headersToUpstreamOnAllow: ['x-ext-authz-check-result'], headersToDownstreamOnDeny: ['x-ext-authz-check-result'],
      },
    }],
  });
  authz = await listen(checkServer(), AUTHZ, 8000);
  await listen(mesh.own(echoServer('httpbin')), HTTPBIN_APP, 8000);
  await mesh.sidecar('httpbin', HTTPBIN, HTTPBIN_APP, 'httpbin', { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' });
  sleep = await mesh.sidecar('sleep', SLEEP, '127.77.4.14', 'sleep', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => get('/headers'), (r) => r.status === 200, 'httpbin reachable');
  await mesh.apply('custom.yaml', custom);
  await eventually(() => get('/headers'), (r) => r.status === 403, 'CUSTOM policy in force');
});

after(async () => {
  if (authz.listening) await new Promise<void>((r) => { authz.close(() => r()); authz.closeAllConnections(); });
  await mesh?.stop();
});

test('the provider allows: 200, with its upstream headers; the check saw the prefix and the included header', async () => {
  checks.length = 0;
  const r = await get('/headers', { 'x-ext-authz': 'allow', 'x-other': 'not-sent' });
  assert.equal(r.status, 200, r.body);
  const seen = JSON.parse(r.body) as { headers: Record<string, string> };
  assert.equal(seen.headers['x-ext-authz-check-result'], 'allowed');
  assert.equal(checks.length, 1);
  assert.equal(checks[0]!.path, '/check/headers');
  assert.equal(checks[0]!.headers['x-ext-authz'], 'allow');
  assert.equal(checks[0]!.headers['x-other'], undefined, 'only included headers are sent');
});

test('the provider denies: its status, body and allowed client headers reach the client', async () => {
  const r = await get('/headers', { 'x-ext-authz': 'deny' });
  assert.equal(r.status, 403);
  assert.match(r.body, /denied by ext_authz/);
  assert.equal(r.headers['x-ext-authz-check-result'], 'denied');
});

test('requests the CUSTOM rules do not select are not checked', async () => {
  checks.length = 0;
  const r = await get('/ip');
  assert.equal(r.status, 200);
  assert.equal(checks.length, 0);
});

test('an unreachable provider fails closed (403) and the proxy keeps serving', async () => {
  await new Promise<void>((r) => {
    authz.close(() => r());
    authz.closeAllConnections();
  });
  const r = await get('/headers', { 'x-ext-authz': 'allow' });
  assert.equal(r.status, 403);
  assert.equal((await get('/ip')).status, 200);
});
