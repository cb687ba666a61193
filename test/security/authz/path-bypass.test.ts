/**
 * The path-normalization bypass suite: a DENY policy on `/admin*` in front of an app, and raw
 * HTTP/1.1 requests (exact bytes, no client-side cleanup) with many encodings of `/admin`. A
 * bypass is a request the app answers (200) whose path, as a typical app reads it (percent-decoded
 * once, `\` as `/`, dot segments removed, slashes merged), is under `/admin`. Weft's default
 * (WEFT_STRICT) must allow 0 bypasses, and every request that reaches the app must carry exactly
 * the normalized path the policy saw (no `..`, `//`, `\` or escaped slash left).
 *
 * Case is not normalized (`/ADMIN`, `/%41dmin` reach the app as `/ADMIN`, `/Admin`): paths are
 * case-sensitive, so they are not `/admin` for a case-sensitive app; a case-insensitive app needs
 * its own policy (e.g. `/ADMIN*` too), as with Istio.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { eventually, listen, rawRequest, service, startAuthzMesh, statusOf, type AuthzMesh } from './fixture.js';

const HTTPBIN = '127.77.5.10';
const HTTPBIN_APP = '127.77.5.11';
const PORT = 8000;

let mesh: AuthzMesh;
const received: string[] = [];

const deny = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: DENY
  rules: [{to: [{operation: {paths: ["/admin*"]}}]}]
`;

/** Encodings of `/admin` (and near misses) an attacker may try. */
const ENCODINGS: readonly string[] = [
  '/admin', '/admin/', '/admin/users', '/admin?x=1', '/admin#frag', '/admin;jsessionid=1', '/admin%20',
  '//admin', '///admin', '/./admin', '/././admin', '/x/../admin', '/admin/../admin', '/x/./../admin', '/./x/../../admin',
  '/x//..//admin', '//x/../admin', '/../admin', '/../../admin', '/admin/.',
  '/%61dmin', '/%61%64%6d%69%6e', '/%61%64%6D%69%6E', '/%2e/admin', '/%2e%2e/admin', '/x/%2e%2e/admin', '/x/%2E%2E/admin',
  '/x/.%2e/admin', '/x/%2e./admin',
  '/admin%2F', '/admin%2fusers', '/%2Fadmin', '/x%2F..%2Fadmin', '/x/..%2Fadmin', '/%2e%2e%2fadmin',
  '/admin%5C', '/x%5C..%5Cadmin', '/x/%2e%2e%5cadmin', '/x\\..\\admin', '/\\admin', '/admin\\',
  '/%252Fadmin', '/x%252F..%252Fadmin', '/%2561dmin', '/%25%32%46admin',
  '/admin%00', '/%u0061dmin', '/admin%', '/%zzadmin',
  '/ADMIN', '/%41dmin', '/Admin/../admin',
];

/** How a typical app reads a path: decode once, `\` → `/`, dot segments, merged slashes. */
function appView(path: string): string {
  let p = path.split('?')[0]!.split('#')[0]!;
  try {
    p = decodeURIComponent(p);
  } catch {
    // keep as is
  }
  p = p.replace(/\\/g, '/').replace(/\/+/g, '/');
  const out: string[] = [];
  for (const seg of p.split('/').slice(1)) {
    if (seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

before(async () => {
  mesh = await startAuthzMesh({ 'registry.yaml': service('httpbin', PORT, [{ ip: HTTPBIN, sa: 'httpbin' }]), 'deny.yaml': deny });
  const app = http.createServer((req, res) => {
    received.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain', 'x-app-path': encodeURIComponent(req.url ?? '') }).end(`app saw ${req.url}`);
  });
  await listen(mesh.own(app), HTTPBIN_APP, PORT);
  await mesh.sidecar('httpbin', HTTPBIN, HTTPBIN_APP, 'httpbin', { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => rawRequest(HTTPBIN, PORT, 'GET /admin HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n'), (r) => statusOf(r) === 403, 'deny-admin in force');
});

after(async () => {
  await mesh?.stop();
});

test(`bypass suite: ${ENCODINGS.length} encodings of /admin, 0 bypasses, the app sees normalized paths`, async () => {
  assert.ok(ENCODINGS.length >= 30);
  const results: { path: string; status: number; appPath?: string; bypass: boolean }[] = [];
  for (const path of ENCODINGS) {
    received.length = 0;
    const raw = await rawRequest(HTTPBIN, PORT, `GET ${path} HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n`);
    const status = statusOf(raw);
    const appPath = received[0];
    const bypass = status === 200 && appPath !== undefined && (appView(appPath) === '/admin' || appView(appPath).startsWith('/admin/'));
    results.push({ path, status, ...(appPath !== undefined ? { appPath } : {}), bypass });
    if (appPath !== undefined) {
      assert.doesNotMatch(appPath.split('?')[0]!, /\/\.\.?(\/|$)|\/\/|\\|%2f|%5c/i, `${path}: the app got a non-normalized path ${appPath}`);
    }
    assert.ok([200, 400, 403].includes(status), `${path}: unexpected status ${status}: ${raw.slice(0, 80)}`);
  }
  const bypasses = results.filter((r) => r.bypass);
  // The suite's report: encoding → status (and the path the app saw).
  const table = results.map((r) => `${r.path} → ${r.status}${r.appPath !== undefined ? ` (app: ${r.appPath})` : ''}`).join('\n');
  assert.equal(bypasses.length, 0, `bypasses:\n${table}`);
  const denied = results.filter((r) => r.status === 403).length;
  const rejected = results.filter((r) => r.status === 400).length;
  assert.ok(denied >= 20, `expected most encodings denied by the policy, got ${denied}\n${table}`);
  assert.ok(rejected >= 10, `expected escaped slashes/backslashes rejected, got ${rejected}\n${table}`);
  process.stdout.write(`${table}\n`);
  process.stdout.write(`# path bypass suite: ${results.length} encodings, ${denied} denied (403), ${rejected} rejected (400), ${results.length - denied - rejected} served, ${bypasses.length} bypasses\n`);
});

test('a normalized request that is allowed reaches the app with the normalized path', async () => {
  received.length = 0;
  const raw = await rawRequest(HTTPBIN, PORT, 'GET /public/./a//b/../c?q=%2F HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n');
  assert.equal(statusOf(raw), 200);
  assert.equal(received[0], '/public/a/c?q=%2F');
});

test('escaped slashes are rejected with 400 and the connection closed; others are still served', async () => {
  const raw = await rawRequest(HTTPBIN, PORT, 'GET /x%2F..%2Fadmin HTTP/1.1\r\nHost: httpbin\r\n\r\n');
  assert.equal(statusOf(raw), 400);
  assert.match(raw, /connection: close/i);
  assert.equal(statusOf(await rawRequest(HTTPBIN, PORT, 'GET /ok HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n')), 200);
});
