import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { HostConnections, type HostConnectionsOptions } from './host-connections.js';
import { H1Call } from '../h1/h1-call.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { StatsStore } from '../stats/stats-store.js';

const ADDRESS = '127.0.0.1';
const OPTS: HostConnectionsOptions = { connectTimeoutMs: 1000, idleTimeoutMs: 60_000 };

/** A loopback HTTP/1.1 server that records the connections it accepted; `/slow` answers after 1 s. */
async function h1Server(): Promise<{ server: http.Server; port: number; sockets: Set<Socket>; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 1000).unref();
      else res.end(`ok ${req.method} ${req.url} ${req.headers['host'] ?? ''}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, ADDRESS, r));
  const port = (server.address() as AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { server, port, sockets, accepted: () => accepted, close };
}

function fixture(opts: HostConnectionsOptions = OPTS) {
  const stats = new ProxyStats(new StatsStore()).cluster('outbound|80||c.test');
  const breaker = new CircuitBreaker(new ProxyStats(new StatsStore()), 'outbound|80||c.test');
  const conns = new HostConnections(stats, opts, breaker);
  return { stats, breaker, conns };
}

/** One GET on the host's HTTP/1.1 pool; resolves with the status and body (status 0 on failure). */
function get(conns: HostConnections, port: number, path = '/', timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const headers = { host: 'c.test' };
    new H1Call(conns.h1Pool(ADDRESS, port, headers), 'GET', path, headers, { bodyless: true, timeoutMs, keepBodyBytes: 1024 }, undefined, (_c, status, _err, body) => {
      resolve({ status, body: body?.toString() ?? '' });
    });
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('pool accounting: connections are counted while open and every count returns to zero', async (t) => {
  const srv = await h1Server();
  t.after(srv.close);
  const { stats, breaker, conns } = fixture();
  const replies = await Promise.all([get(conns, srv.port, '/a'), get(conns, srv.port, '/b'), get(conns, srv.port, '/c')]);
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
  assert.equal(replies[0]!.body, 'ok GET /a c.test');
  // Three at once need three connections; all idle now.
  assert.equal(stats.cxTotal.value, 3);
  assert.equal(stats.cxActive.value, 3);
  assert.equal(breaker.connections, 3);
  assert.equal(conns.socketCount(), 3);
  assert.equal(conns.freeCount(), 3);
  // Sequential requests reuse an idle connection: no new one.
  assert.equal((await get(conns, srv.port, '/d')).status, 200);
  assert.equal(stats.cxTotal.value, 3);
  assert.equal(srv.accepted(), 3);
  conns.closeIdle();
  await until(() => stats.cxActive.value === 0, 'connections closed');
  assert.equal(breaker.connections, 0);
  assert.equal(conns.socketCount(), 0);
  assert.equal(conns.freeCount(), 0);
  await until(() => srv.sockets.size === 0, 'server side closed');
});

test('maxRequestsPerConnection: a connection that served the limit is closed, not reused', async (t) => {
  const srv = await h1Server();
  t.after(srv.close);
  const { stats, conns } = fixture({ ...OPTS, maxRequestsPerConnection: 2 });
  for (let i = 0; i < 5; i++) assert.equal((await get(conns, srv.port, `/${i}`)).status, 200);
  // 5 requests, 2 per connection: connections served 2, 2 and 1.
  assert.equal(srv.accepted(), 3);
  assert.equal(stats.cxTotal.value, 3);
  await until(() => stats.cxActive.value === 1, 'two connections closed at their limit');
  conns.destroy();
  await until(() => stats.cxActive.value === 0, 'last connection closed');
});

test('idle timeout: an idle connection closes by itself and its counts return to zero', async (t) => {
  const srv = await h1Server();
  t.after(srv.close);
  const { stats, breaker, conns } = fixture({ ...OPTS, idleTimeoutMs: 100 });
  assert.equal((await get(conns, srv.port)).status, 200);
  assert.equal(stats.cxActive.value, 1);
  await until(() => stats.cxActive.value === 0, 'idle connection closed');
  assert.equal(breaker.connections, 0);
  assert.equal(conns.socketCount(), 0);
  // The next request opens a fresh connection.
  assert.equal((await get(conns, srv.port)).status, 200);
  assert.equal(srv.accepted(), 2);
  conns.destroy();
  await until(() => stats.cxActive.value === 0, 'closed');
});

test('a busy connection is not closed by the idle timeout; a call past its deadline closes its connection', async (t) => {
  const srv = await h1Server();
  t.after(srv.close);
  const { stats, conns } = fixture({ ...OPTS, idleTimeoutMs: 300 });
  // /slow answers after 1 s, past the idle timeout: the exchange still completes.
  const slow = await get(conns, srv.port, '/slow');
  assert.equal(slow.status, 200);
  assert.equal(slow.body, 'slow');
  conns.destroy();
  await until(() => stats.cxActive.value === 0, 'closed');
  const { stats: s2, conns: c2 } = fixture();
  const late = await get(c2, srv.port, '/slow', 100);
  assert.equal(late.status, 0);
  await until(() => s2.cxActive.value === 0 && c2.socketCount() === 0, 'timed-out connection closed');
});

test('connect failure: counted as a connection that closed; the call reports no status', async () => {
  const srv = await h1Server();
  const port = srv.port;
  await srv.close();
  const { stats, breaker, conns } = fixture();
  assert.equal((await get(conns, port)).status, 0);
  await until(() => stats.cxActive.value === 0, 'failed connection uncounted');
  assert.equal(stats.cxTotal.value, 1);
  assert.equal(breaker.connections, 0);
});

test('HTTP/2: streams share a session; the session is counted once and uncounted when closed', async (t) => {
  const server = http2.createServer((req, res) => res.end('h2'));
  await new Promise<void>((r) => server.listen(0, ADDRESS, r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const { stats, breaker, conns } = fixture();
  const one = (): Promise<number> => new Promise((resolve, reject) => {
    const { stream } = conns.h2Pool().request(ADDRESS, port, { ':method': 'GET', ':path': '/', ':scheme': 'http', ':authority': 'c.test' }, true, 0);
    stream.on('response', (h) => {
      stream.resume();
      stream.on('end', () => resolve(Number(h[':status'])));
    });
    stream.on('error', reject);
  });
  assert.deepEqual(await Promise.all([one(), one(), one()]), [200, 200, 200]);
  assert.equal(stats.cxTotal.value, 1);
  assert.equal(breaker.connections, 1);
  assert.equal(conns.socketCount(), 1);
  await until(() => conns.freeCount() === 1, 'session free again');
  conns.closeIdle();
  await until(() => stats.cxActive.value === 0, 'session closed');
  assert.equal(breaker.connections, 0);
  assert.equal(conns.socketCount(), 0);
});
