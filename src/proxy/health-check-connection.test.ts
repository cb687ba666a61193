import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HealthCheckConnection } from './health-check-connection.js';

const ADDRESS = '127.0.0.1';

/** A loopback server counting its connections; `/close` answers with `Connection: close`, `/hang` never answers. */
async function server(): Promise<{ port: number; accepted: () => number; open: () => number; seen: string[]; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let accepted = 0;
  const s = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['host']} ${req.headers['user-agent']}`);
    if (req.url === '/hang') return;
    if (req.url === '/close') res.setHeader('connection', 'close');
    res.end();
  });
  s.keepAliveTimeout = 60_000;
  s.on('connection', (c: Socket) => {
    accepted++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(0, ADDRESS, r));
  return {
    port: (s.address() as AddressInfo).port, accepted: () => accepted, open: () => sockets.size, seen,
    close: async () => {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

function check(conn: HealthCheckConnection, path: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => conn.check('GET', path, 'hc.test', timeoutMs, undefined, (_c, status) => resolve(status)));
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('reuse_connection (default): checks share one connection, with Envoy/HC and the configured host', async (t) => {
  const srv = await server();
  t.after(srv.close);
  const conn = new HealthCheckConnection(ADDRESS, srv.port, undefined, true);
  for (let i = 0; i < 3; i++) assert.equal(await check(conn, '/healthz'), 200);
  assert.equal(srv.accepted(), 1);
  assert.deepEqual(srv.seen, Array(3).fill('GET /healthz hc.test Envoy/HC'));
  conn.close();
  await until(() => srv.open() === 0, 'connection closed');
});

test('reuse_connection false, or Connection: close in the response: a new connection per check', async (t) => {
  const srv = await server();
  t.after(srv.close);
  const fresh = new HealthCheckConnection(ADDRESS, srv.port, undefined, false);
  for (let i = 0; i < 3; i++) assert.equal(await check(fresh, '/healthz'), 200);
  assert.equal(srv.accepted(), 3);
  const closing = new HealthCheckConnection(ADDRESS, srv.port, undefined, true);
  for (let i = 0; i < 2; i++) assert.equal(await check(closing, '/close'), 200);
  assert.equal(srv.accepted(), 5);
  await until(() => srv.open() === 0, 'connections closed');
});

test('a check past its timeout reports no status and closes its connection; the next check reconnects', async (t) => {
  const srv = await server();
  t.after(srv.close);
  const conn = new HealthCheckConnection(ADDRESS, srv.port, undefined, true);
  assert.equal(await check(conn, '/hang', 100), 0);
  await until(() => srv.open() === 0, 'timed-out connection closed');
  assert.equal(await check(conn, '/healthz'), 200);
  assert.equal(srv.accepted(), 2);
  conn.close();
});

test('a host that refuses the connection fails the check (no status)', async () => {
  const srv = await server();
  const port = srv.port;
  await srv.close();
  const conn = new HealthCheckConnection(ADDRESS, port, { tls: undefined, settings: { connectTimeoutMs: 500 } }, true);
  assert.equal(await check(conn, '/healthz'), 0);
  conn.close();
});
