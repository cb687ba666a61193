/**
 * End to end (issue 12, CORS): `weft up` with a Gateway and a VirtualService carrying Istio's
 * `corsPolicy`, driven by curl as a browser's requests would be, through the real ingress gateway
 * proxy (its CORS filter, in the chain built from the listener's httpFilters) to a real app:
 * - a preflight from an allowed origin (exact, prefix and regex StringMatch) is answered by the
 *   proxy: 200, Access-Control-Allow-Origin/-Methods/-Headers/-Max-Age/-Credentials, and the app
 *   never sees it;
 * - a preflight from another origin is forwarded to the app (unmatchedPreflights FORWARD, the
 *   default), or answered by the proxy without Access-Control-Allow-Origin (IGNORE);
 * - a simple request from an allowed origin reaches the app and its response carries
 *   Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers; from another origin, none.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startWeft, type WeftProcess } from '../helpers/weft-process.js';

const HTTP_PORT = 19100;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}`;

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface CurlResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Runs the real curl (`-sS -i`, 10 s limit) and parses the status, headers and body it printed. */
function curl(args: readonly string[]): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-i', '--max-time', '10', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${args.join(' ')}: ${stderr || err.message}`));
      const split = stdout.indexOf('\r\n\r\n');
      const head = stdout.slice(0, split).split('\r\n');
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0] ?? '')?.[1]);
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      resolve({ status, headers, body: stdout.slice(split + 4) });
    });
  });
}

const preflight = (origin: string, p: string, method = 'POST') =>
  curl(['-X', 'OPTIONS', '-H', `Origin: ${origin}`, '-H', `Access-Control-Request-Method: ${method}`, '-H', 'Access-Control-Request-Headers: X-Foo-Bar', `${GATEWAY}${p}`]);

test('CORS through the gateway, driven by curl: preflights answered by the proxy, Access-Control-* headers on responses, unmatchedPreflights FORWARD and IGNORE', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cors-'));
  dirs.push(dir);
  await cp(path.join(REPO_ROOT, 'test/fidelity/fixtures/cors'), dir, { recursive: true });
  const mesh = startWeft(['up', dir, '--state', path.join(dir, '.state'), '--http-port', String(HTTP_PORT), '--xds-port', '19101', '--api-port', '19102', '--pod-net', '200']);
  procs.push(mesh);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s: gateway http:\/\/127\.0\.0\.1:19100/, 60_000);
  // The route reaches the app (bounded wait for the gateway's first config).
  let ready: CurlResponse | undefined;
  for (let i = 0; i < 50 && ready?.status !== 200; i++) {
    ready = await curl([`${GATEWAY}/api/ready`]).catch(() => undefined);
    if (ready?.status !== 200) await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(ready?.status, 200, mesh.output());
  assert.equal(ready?.headers.get('x-app'), 'web');

  await t.test('a preflight from an allowed origin (exact, prefix, regex) is answered by the proxy', async () => {
    for (const origin of ['https://example.com', 'https://app.example.org', 'https://build.corp.test']) {
      const r = await preflight(origin, '/api/items');
      assert.equal(r.status, 200, `${origin}: ${r.body}`);
      assert.equal(r.headers.get('access-control-allow-origin'), origin);
      assert.equal(r.headers.get('access-control-allow-methods'), 'POST,GET');
      assert.equal(r.headers.get('access-control-allow-headers'), 'X-Foo-Bar');
      assert.equal(r.headers.get('access-control-max-age'), '86400');
      assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
      assert.equal(r.headers.get('x-app'), undefined, 'the app never saw the preflight');
      assert.equal(r.body, '');
    }
    // The deprecated allowOrigin list (exact strings).
    const legacy = await preflight('https://legacy.test', '/legacy/x', 'PUT');
    assert.equal(legacy.headers.get('access-control-allow-origin'), 'https://legacy.test');
    assert.equal(legacy.headers.get('access-control-allow-methods'), 'PUT');
    assert.equal(legacy.headers.get('x-app'), undefined);
  });

  await t.test('a preflight from a non-matching origin is forwarded to the app (unmatchedPreflights FORWARD, the default)', async () => {
    // Not matching: another host, a prefix that only starts the regex, a regex that must match the whole origin.
    for (const origin of ['https://evil.test', 'http://example.com', 'https://build.corp.test.evil.test']) {
      const r = await preflight(origin, '/api/items');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-app'), 'web', `${origin} was forwarded`);
      assert.equal(r.body, 'app saw OPTIONS /api/items\n');
      assert.equal(r.headers.get('access-control-allow-origin'), undefined);
      assert.equal(r.headers.get('access-control-allow-credentials'), undefined);
    }
  });

  await t.test('unmatchedPreflights IGNORE: a non-matching preflight is answered by the proxy without Access-Control-Allow-Origin', async () => {
    const r = await preflight('https://evil.test', '/ignore/x', 'GET');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-app'), undefined, 'not forwarded');
    assert.equal(r.headers.get('access-control-allow-origin'), undefined);
    assert.equal(r.headers.get('access-control-allow-methods'), 'GET');
    // The same route still answers its allowed origin.
    const ok = await preflight('https://example.com', '/ignore/x', 'GET');
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://example.com');
    assert.equal(ok.headers.get('x-app'), undefined);
  });

  await t.test('simple requests: Allow-Origin, -Credentials and -Expose-Headers on the app\'s response for an allowed origin only', async () => {
    const r = await curl(['-H', 'Origin: https://app.example.org', `${GATEWAY}/api/items`]);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'app saw GET /api/items\n');
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example.org');
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(r.headers.get('access-control-expose-headers'), 'X-App');
    const post = await curl(['-X', 'POST', '-d', 'x=1', '-H', 'Origin: https://example.com', `${GATEWAY}/api/items`]);
    assert.equal(post.body, 'app saw POST /api/items\n');
    assert.equal(post.headers.get('access-control-allow-origin'), 'https://example.com');
    const evil = await curl(['-H', 'Origin: https://evil.test', `${GATEWAY}/api/items`]);
    assert.equal(evil.status, 200);
    assert.equal(evil.headers.get('access-control-allow-origin'), undefined);
    assert.equal(evil.headers.get('access-control-expose-headers'), undefined);
    // A route without corsPolicy adds nothing.
    const plain = await curl(['-H', 'Origin: https://example.com', `${GATEWAY}/other`]);
    assert.equal(plain.headers.get('access-control-allow-origin'), undefined);
  });
});
