import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { HealthCheckConnection } from './health-check-connection.js';
import type { UpstreamTlsConnector } from '../tls/upstream-connector.js';
import { DEFAULT_TRANSPORT } from '../tls/auto-sni.js';

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

test('a host reached over TLS is checked over the host\'s TLS connector (ALPN http/1.1), on one reused connection', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-hc-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-nodes', '-days', '1', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', '/CN=hc.test',
    '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
  let accepted = 0;
  const alpns: string[] = [];
  const server = https.createServer({ key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')), ALPNProtocols: ['http/1.1'] }, (req, res) => {
    alpns.push(String((req.socket as tls.TLSSocket).alpnProtocol));
    res.end();
  });
  server.keepAliveTimeout = 60_000;
  server.on('secureConnection', () => accepted++);
  await new Promise<void>((r) => server.listen(0, ADDRESS, r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as AddressInfo).port;
  // The connector's contract as the checker uses it (the real one verifies certificates; tls/ tests cover that).
  const connector = {
    transportFor: () => DEFAULT_TRANSPORT,
    connect: (target: { host?: string; port?: number | string }, _t: unknown, alpn?: string) =>
      tls.connect({ host: target.host, port: Number(target.port), rejectUnauthorized: false, ALPNProtocols: alpn === undefined ? [] : [alpn] }),
  } as unknown as UpstreamTlsConnector;
  const conn = new HealthCheckConnection(ADDRESS, port, { tls: connector, settings: { connectTimeoutMs: 1000 } }, true);
  assert.equal(await check(conn, '/healthz'), 200);
  assert.equal(await check(conn, '/healthz'), 200);
  assert.equal(accepted, 1);
  assert.deepEqual(alpns, ['http/1.1', 'http/1.1']);
  // Without the connector the same host cannot be checked (a plaintext request to a TLS port).
  const plain = new HealthCheckConnection(ADDRESS, port, undefined, true);
  assert.equal(await check(plain, '/healthz', 1000), 0);
  plain.close();
  conn.close();
});
