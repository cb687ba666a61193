/**
 * Resource-limit attacks on a real proxy (issue 10, "Resource limits" and "HTTP/2"), each with real
 * sockets against a sidecar started by the resilience harness and, for JWKS, the authz fixture's
 * mesh with a RequestAuthentication:
 * - one HTTP/2 connection opening 3,000 streams at once (raw frames, as an attacker ignoring the
 *   proxy's SETTINGS would): at most 100 reach the upstream at once, the others are refused
 *   (RST_STREAM REFUSED_STREAM, or beyond the GOAWAY's last stream), the proxy's memory grows a
 *   bounded amount and it keeps serving;
 * - a connection flood over the listener's connection limit: extra connections are closed at once
 *   and counted in `listener.<addr>.downstream_cx_overflow`, the connections within the limit are
 *   still served;
 * - request bodies on a route that retries (the router buffers them for replay): under Envoy's
 *   1 MiB buffer limit a 503 is retried with the whole body, over it the retry is given up
 *   (`retry_or_shadow_abandoned`) and the body still streams to the single attempt;
 * - JWKS servers that redirect to another host, answer 50 MB, or never answer: the fetch follows no
 *   redirect, stops reading past its cap, times out, and tokens of those issuers get 401 while the
 *   proxy keeps serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Mesh, Upstream, service as resilienceService, sleep, waitUntil } from '../resilience/harness.js';
import { echoServer, eventually, listen, service, startAuthzMesh, viaSidecar, type AuthzMesh, type Reply, type Workload } from './authz/fixture.js';

const SIDECAR = '127.77.40.1';
const SLOW = '127.77.40.11';
const FLAKY = '127.77.40.12';
const CONNECTION_LIMIT = 50;

const slow = new Upstream(SLOW, 8080);
const flaky = new Upstream(FLAKY, 8080);
const mesh = new Mesh(SIDECAR);
/** Requests the slow upstream holds right now, and the most it ever held at once. */
const slowSeen = { active: 0, max: 0 };

const CONFIG = `${resilienceService('slow', 8080, [SLOW])}---
${resilienceService('flaky', 8080, [FLAKY])}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 2, retryOn: 5xx}
`;

before(async () => {
  slow.behaviour = (_req, res) => {
    slowSeen.active++;
    slowSeen.max = Math.max(slowSeen.max, slowSeen.active);
    setTimeout(() => {
      slowSeen.active--;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('slow');
    }, 1500);
  };
  flaky.recordBodies = true;
  await mesh.start({ 'config.yaml': CONFIG }, [slow, flaky], { maxConnectionsPerListener: CONNECTION_LIMIT });
  await mesh.waitForHosts('outbound|8080||slow.default.svc.cluster.local', 1);
  await mesh.waitForHosts('outbound|8080||flaky.default.svc.cluster.local', 1);
});

after(async () => {
  await mesh.stop();
});

// ---- HTTP/2 frames, written and read by hand (RFC 9113 §4, HPACK literals RFC 7541 §6.2.2) ----

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7 } as const;
const REFUSED_STREAM = 7;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** A header block of "literal without indexing, new name" fields (names and values < 127 bytes). */
function headerBlock(fields: readonly [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [n, v] of fields) parts.push(Buffer.from([0, n.length]), Buffer.from(n, 'latin1'), Buffer.from([v.length]), Buffer.from(v, 'latin1'));
  return Buffer.concat(parts);
}

interface FloodResult {
  /** Streams that got a response HEADERS frame. */
  answered: number;
  /** Of those, responses `:status: 200` (HPACK static index 8, the form nghttp2 sends). */
  ok200: number;
  /** Streams reset with REFUSED_STREAM. */
  refused: number;
  /** Streams above the GOAWAY's last stream id (never processed, per RFC 9113 §6.8). */
  beyondGoaway: number;
  /** GOAWAY error code, when one came. */
  goawayCode: number | undefined;
}

/**
 * Opens one h2c connection and sends `n` GET streams in one write, without waiting for (or
 * acknowledging) the server's SETTINGS; reads until every stream is accounted for, the connection
 * closes, or `ms` pass.
 */
function h2Flood(host: string, port: number, authority: string, n: number, ms: number): Promise<FloodResult> {
  return new Promise((resolve) => {
    const frames: Buffer[] = [PREFACE, frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))];
    for (let i = 0; i < n; i++) {
      const block = headerBlock([[':method', 'GET'], [':scheme', 'http'], [':path', `/flood/${i}`], [':authority', authority]]);
      frames.push(frame(FRAME.HEADERS, 0x4 | 0x1, 2 * i + 1, block));
    }
    const answered = new Set<number>();
    let ok200 = 0;
    const refused = new Set<number>();
    let goawayLast: number | undefined;
    let goawayCode: number | undefined;
    let buf = Buffer.alloc(0);
    const s = net.connect(port, host);
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      let beyond = 0;
      if (goawayLast !== undefined) for (let i = 0; i < n; i++) if (2 * i + 1 > goawayLast && !answered.has(2 * i + 1) && !refused.has(2 * i + 1)) beyond++;
      resolve({ answered: answered.size, ok200, refused: refused.size, beyondGoaway: beyond, goawayCode });
    };
    const timer = setTimeout(finish, ms);
    s.on('error', () => undefined);
    s.on('close', finish);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3]!;
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        const payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === FRAME.HEADERS && stream !== 0 && !answered.has(stream)) {
          answered.add(stream);
          if (payload[0] === 0x88) ok200++;
        }
        else if (type === FRAME.RST_STREAM && payload.readUInt32BE(0) === REFUSED_STREAM) refused.add(stream);
        else if (type === FRAME.GOAWAY) {
          goawayLast = payload.readUInt32BE(0) & 0x7fffffff;
          goawayCode = payload.readUInt32BE(4);
        }
      }
      if (answered.size + refused.size >= n) finish();
    });
    s.write(Buffer.concat(frames));
  });
}

test('600 HTTP/2 streams sent at once on one connection: 100 are served, 500 refused with REFUSED_STREAM', async (t) => {
  const N = 600;
  slowSeen.max = 0;
  const r = await h2Flood(SIDECAR, mesh.proxy.outboundPort(), 'slow:8080', N, 15_000);
  t.diagnostic(`answered ${r.answered} (200: ${r.ok200}), refused ${r.refused}, beyond GOAWAY ${r.beyondGoaway}, upstream max ${slowSeen.max}`);
  assert.equal(r.answered, 100, 'exactly the advertised 100 streams are served');
  assert.equal(r.ok200, 100);
  assert.equal(r.refused, N - 100, 'every other stream is refused (RFC 9113 §5.1.2), none left hanging');
  assert.ok(slowSeen.max <= 100 && slowSeen.max > 0, `the upstream held ${slowSeen.max} requests at once`);
  await waitUntil(() => slowSeen.active === 0, 'the held requests to finish');
});

test('3,000 HTTP/2 streams on one connection: at most 100 reach the upstream, the rest are refused, memory stays bounded, the proxy keeps serving', async (t) => {
  const N = 3000;
  slowSeen.max = 0;
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  let r: FloodResult;
  try {
    r = await h2Flood(SIDECAR, mesh.proxy.outboundPort(), 'slow:8080', N, 15_000);
  } finally {
    clearInterval(sampler);
  }
  const growthMb = (rssPeak - rssBefore) / 2 ** 20;
  t.diagnostic(`answered ${r.answered}, refused ${r.refused}, beyond GOAWAY ${r.beyondGoaway} (code ${r.goawayCode}), upstream max ${slowSeen.max}, RSS +${growthMb.toFixed(1)} MB`);
  assert.ok(slowSeen.max <= 100, `the upstream held ${slowSeen.max} requests of one connection at once`);
  assert.ok(r.answered <= 100, `${r.answered} streams were answered on one connection (limit 100)`);
  // Past node's 1,000 invalid frames per session the connection is closed (as Envoy closes one
  // whose pending control frames pass max_outbound_control_frames, 1,000): apart from the 100
  // admitted streams, every stream is refused or beyond the GOAWAY's last stream id.
  assert.ok(r.refused + r.beyondGoaway >= N - 100, `only ${r.refused} refused and ${r.beyondGoaway} beyond GOAWAY of ${N} (answered ${r.answered})`);
  // Unbounded (before the limit) the same flood grew this process by about 78 MB; bounded, about 1 MB.
  assert.ok(growthMb < 40, `RSS grew ${growthMb.toFixed(1)} MB during the flood`);
  await waitUntil(() => slowSeen.active === 0, 'the held requests to finish');
  const after = await mesh.request('http://slow:8080/after');
  assert.equal(after.status, 200);
});

test('a connection flood over the listener limit: extra connections are closed and counted, those within the limit are served', async () => {
  const port = mesh.proxy.outboundPort();
  const stat = `listener.${SIDECAR}_${port}.downstream_cx_overflow`;
  const before = await mesh.stat(stat);
  const open = (): Promise<net.Socket> => new Promise((resolve, reject) => {
    const s = net.connect(port, SIDECAR, () => resolve(s));
    s.on('error', reject);
  });
  // The harness' own keep-alive connections go first, so (almost) the whole limit is ours.
  mesh.agent.destroy();
  await sleep(200);
  const TOTAL = CONNECTION_LIMIT + 200;
  const all: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  try {
    for (let i = 0; i < TOTAL; i++) {
      const s = await open();
      s.on('close', () => closed.add(s));
      s.on('error', () => undefined);
      all.push(s);
    }
    // Overflowing connections are closed right after the accept; give them a moment.
    await sleep(500);
    const survivors = all.filter((s) => !closed.has(s));
    assert.ok(survivors.length <= CONNECTION_LIMIT, `${survivors.length} connections stayed open (limit ${CONNECTION_LIMIT})`);
    assert.ok(closed.size >= TOTAL - CONNECTION_LIMIT, `only ${closed.size} of ${TOTAL} connections were closed`);
    await waitUntil(async () => (await mesh.stat(stat)) - before === closed.size, `${stat} to count ${closed.size}`, 200);
    // The connections within the limit are served: each sends a request on its own socket.
    const replies = await Promise.all(survivors.slice(0, 10).map((s) => new Promise<string>((resolve) => {
      let b = '';
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        b += d;
        if (b.includes('\r\n\r\n') && b.includes('slow')) resolve(b);
      });
      s.on('close', () => resolve(b));
      s.write('GET http://slow:8080/held HTTP/1.1\r\nhost: slow:8080\r\n\r\n');
    })));
    assert.equal(replies.length, Math.min(10, survivors.length));
    for (const b of replies) assert.match(b, /^HTTP\/1\.1 200/);
  } finally {
    for (const s of all) s.destroy();
  }
  // Below the limit again, new connections are accepted.
  await sleep(200);
  assert.equal((await mesh.request('http://slow:8080/again')).status, 200);
});

test('a body on a retried route: under the 1 MiB buffer limit a 503 is retried with the whole body; over it the retry is given up and the body streams once', async () => {
  let n = 0;
  flaky.behaviour = (_req, res) => {
    n++;
    const status = n % 2 === 1 ? 503 : 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
  };
  const small = 'a'.repeat(512 * 1024);
  flaky.bodies.length = 0;
  const r1 = await mesh.request('http://flaky:8080/upload', { method: 'POST', body: small });
  assert.equal(r1.status, 200, 'a 512 KiB body is buffered for the retry (Envoy buffers up to 1 MiB)');
  assert.deepEqual(flaky.bodies.map((b) => b.length), [small.length, small.length]);

  const abandonedStat = 'cluster.outbound|8080||flaky.default.svc.cluster.local.retry_or_shadow_abandoned';
  const abandonedBefore = await mesh.stat(abandonedStat);
  n = 0;
  flaky.bodies.length = 0;
  const big = 'b'.repeat(4 * 1024 * 1024);
  const r2 = await mesh.request('http://flaky:8080/upload', { method: 'POST', body: big });
  assert.equal(r2.status, 503, 'a 4 MiB body is not replayable: the upstream 503 is the answer');
  assert.deepEqual(flaky.bodies.map((b) => b.length), [big.length], 'one attempt with the whole body');
  assert.equal((await mesh.stat(abandonedStat)) - abandonedBefore, 1);
});

// ---- JWKS fetch limits (authz fixture: a RequestAuthentication on an httpbin sidecar) ----

const HTTPBIN = '127.77.40.20';
const HTTPBIN_APP = '127.77.40.21';
const SLEEP = '127.77.40.22';
const JWKS = '127.77.40.23';
const OFF_HOST = '127.77.40.24';
const GOOD = 'good@jwks.test';
const REDIRECTED = 'redirect@jwks.test';
const HUGE = 'huge@jwks.test';
const SILENT = 'silent@jwks.test';

let authz: AuthzMesh;
let sleepWl: Workload;
let key: CryptoKey;
let jwksJson = '';
const offHostHits = { n: 0 };
const huge = { written: 0, closed: false };

function sign(iss: string, k: CryptoKey = key): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(iss).setSubject(iss).setIssuedAt().setExpirationTime('1h').sign(k);
}

function getWith(iss?: string, k?: CryptoKey): Promise<Reply> {
  return (iss === undefined ? Promise.resolve(undefined) : sign(iss, k)).then((jwt) =>
    viaSidecar(sleepWl, 'http://httpbin:8000/headers', { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} }));
}

test('JWKS: redirects off-host, 50 MB answers and servers that never answer fail verification (401); the proxy keeps serving', async (t) => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksJson = JSON.stringify({ keys: [jwk] });
  const hung: http.ServerResponse[] = [];
  const jwksServer = http.createServer((req, res) => {
    if (req.url === '/good.json') res.writeHead(200, { 'content-type': 'application/json' }).end(jwksJson);
    else if (req.url === '/redirect.json') res.writeHead(302, { location: `http://${OFF_HOST}:${offPort}/jwks.json` }).end();
    else if (req.url === '/silent.json') hung.push(res);
    else if (req.url === '/huge.json') {
      // A valid key set padded to 50 MB: acceptable JSON, if the proxy read it all.
      res.writeHead(200, { 'content-type': 'application/json' });
      const head = `{"keys":[${JSON.stringify(jwk)}],"pad":"`;
      const chunk = 'x'.repeat(64 * 1024);
      const total = 50 * 1024 * 1024;
      res.write(head);
      huge.written = head.length;
      const pump = (): void => {
        while (huge.written < total) {
          huge.written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end('"}');
      };
      res.on('close', () => (huge.closed = true));
      pump();
    } else res.writeHead(404).end();
  });
  let offPort = 0;
  const offHost = http.createServer((_req, res) => {
    offHostHits.n++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwksJson);
  });
  authz = await startAuthzMesh({ 'registry.yaml': service('httpbin', 8000, [{ ip: HTTPBIN, sa: 'httpbin' }]) + '---\n' + service('sleep', 80, [{ ip: SLEEP, sa: 'sleep' }]) });
  t.after(async () => {
    for (const r of hung) r.destroy();
    await authz.stop();
  });
  await listen(authz.own(jwksServer), JWKS, 0);
  await listen(authz.own(offHost), OFF_HOST, 0);
  const jwksPort = (jwksServer.address() as net.AddressInfo).port;
  offPort = (offHost.address() as net.AddressInfo).port;
  await listen(authz.own(echoServer('httpbin')), HTTPBIN_APP, 8000);
  await authz.sidecar('httpbin', HTTPBIN, HTTPBIN_APP, 'httpbin', { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' });
  sleepWl = await authz.sidecar('sleep', SLEEP, '127.77.40.25', 'sleep', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => getWith(), (r) => r.status === 200, 'httpbin reachable');
  const rule = (iss: string, file: string) => `  - issuer: "${iss}"\n    jwksUri: "http://${JWKS}:${jwksPort}/${file}"\n`;
  await authz.apply('ra.yaml', `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwks-limits, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
${rule(GOOD, 'good.json')}${rule(REDIRECTED, 'redirect.json')}${rule(HUGE, 'huge.json')}${rule(SILENT, 'silent.json')}`);
  // The policy is in force once a token signed with another key is refused.
  const wrongKey = (await generateKeyPair('RS256')).privateKey;
  await eventually(() => getWith(GOOD, wrongKey), (r) => r.status === 401, 'the RequestAuthentication in force');
  assert.equal((await getWith(GOOD)).status, 200, 'a token of the good issuer is accepted');

  const redirected = await getWith(REDIRECTED);
  assert.equal(redirected.status, 401, 'a JWKS redirect is not followed');
  assert.equal(offHostHits.n, 0, 'the off-host JWKS server was never asked');

  const big = await getWith(HUGE);
  assert.equal(big.status, 401, 'a 50 MB JWKS is refused');
  await waitUntil(() => huge.closed, 'the proxy to drop the 50 MB response');
  assert.ok(huge.written < 16 * 1024 * 1024, `the JWKS server wrote ${(huge.written / 2 ** 20).toFixed(1)} MB before the proxy stopped reading`);

  // Istio's default JWKS timeout is 5 s: the request waits for it, then fails verification.
  const started = performance.now();
  const silent = await getWith(SILENT);
  const ms = performance.now() - started;
  assert.equal(silent.status, 401, 'a JWKS server that never answers fails verification');
  assert.ok(ms < 9000, `answered after ${ms.toFixed(0)} ms`);

  assert.equal((await getWith(GOOD)).status, 200, 'the proxy still verifies good tokens');
  assert.equal((await getWith()).status, 200, 'and serves requests without tokens');
});
