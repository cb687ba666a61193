/**
 * End to end through a real sidecar: the DestinationRule connection settings istiod applies to
 * upstream connections and TCP proxies (pilot/pkg/networking/core cluster_traffic_policy.go and the
 * TCP proxy builder):
 * - `connectionPool.tcp.maxConnectionDuration` drains HTTP upstream connections (the request in
 *   flight completes; the next one gets a new connection; `upstream_cx_max_duration_reached`) and
 *   closes TCP-proxied connections that old (Envoy tcp_proxy `max_downstream_connection_duration`);
 * - `connectionPool.tcp.idleTimeout` closes an idle TCP-proxied connection;
 * - `consistentHash.useSourceIp` on a TCP service keeps one client address on one endpoint;
 * - `consistentHash.httpCookie.attributes` are added to the Set-Cookie the proxy generates.
 * TCP connections enter the sidecar as `weft up` apps send them: an HTTP CONNECT to its outbound port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Mesh, sleep, Upstream, waitUntil, type Behaviour } from '../resilience/harness.js';

const SIDECAR = '127.208.0.1';
const mesh = new Mesh(SIDECAR);
const P = { idle: 19260, life: 19261, hash: 19262, http: 19263, sticky: 19264 } as const;

/** A TCP server that answers every chunk with `<name>:<chunk>`. */
class EchoServer {
  readonly server = net.createServer((s) => {
    this.sockets.add(s);
    s.on('data', (d) => s.write(`${this.name}:${d.toString()}`));
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  });
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly name: string, readonly address: string, readonly port: number) {}
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.address, () => resolve());
    });
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const idleEcho = new EchoServer('idle', '127.208.1.1', P.idle);
const lifeEcho = new EchoServer('life', '127.208.1.2', P.life);
const hashEchoes = [1, 2, 3].map((i) => new EchoServer(`h${i}`, `127.208.1.1${i}`, P.hash));
const httpUp = new Upstream('127.208.1.20', P.http);
const stickyUp = [new Upstream('127.208.1.21', P.sticky), new Upstream('127.208.1.22', P.sticky)];
let httpConnections = 0;

/** Service + WorkloadEntries, with the port named for its protocol. */
function svc(name: string, port: number, portName: 'tcp' | 'http', addresses: readonly string[]): string {
  return [
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: ${name}}\n  ports: [{name: ${portName}, port: ${port}}]\n`,
    ...addresses.map((a, i) => `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ${name}-${i}}\nspec: {address: ${a}, labels: {app: ${name}}, ports: {${portName}: ${port}}}\n`),
  ].join('---\n');
}
const dr = (host: string, policy: string) => `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: ${host}}\nspec:\n  host: ${host}\n  trafficPolicy:\n${policy}`;

before(async () => {
  for (const e of [idleEcho, lifeEcho, ...hashEchoes]) await e.listen();
  httpUp.server.on('connection', () => httpConnections++);
  const slowFirst: Behaviour = (req, res) => {
    const wait = req.url === '/slow' ? 1500 : 0;
    setTimeout(() => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    }, wait);
  };
  httpUp.behaviour = slowFirst;
  await mesh.start({
    'registry.yaml': [
      svc('tcp-idle', P.idle, 'tcp', [idleEcho.address]),
      svc('tcp-life', P.life, 'tcp', [lifeEcho.address]),
      svc('tcp-hash', P.hash, 'tcp', hashEchoes.map((e) => e.address)),
      svc('mcd', P.http, 'http', [httpUp.address]),
      svc('sticky', P.sticky, 'http', stickyUp.map((u) => u.address)),
    ].join('---\n'),
    'dr.yaml': [
      dr('tcp-idle', '    connectionPool: {tcp: {idleTimeout: 0.5s}}\n'),
      dr('tcp-life', '    connectionPool: {tcp: {maxConnectionDuration: 1s}}\n'),
      dr('tcp-hash', '    loadBalancer: {consistentHash: {useSourceIp: true}}\n'),
      dr('mcd', '    connectionPool: {tcp: {maxConnectionDuration: 1s}}\n'),
      dr('sticky', '    loadBalancer:\n      consistentHash:\n        httpCookie:\n          name: sticky\n          path: /\n          ttl: 60s\n          attributes: [{name: SameSite, value: Strict}, {name: Secure}]\n'),
    ].join('---\n'),
  }, [httpUp, ...stickyUp]);
  await mesh.waitForHosts('outbound|19262||tcp-hash.default.svc.cluster.local', 3);
  await mesh.waitForHosts('outbound|19263||mcd.default.svc.cluster.local', 1);
  await mesh.waitForHosts('outbound|19264||sticky.default.svc.cluster.local', 2);
});

after(async () => {
  await mesh.stop();
  for (const e of [idleEcho, lifeEcho, ...hashEchoes]) await e.close();
});

/** A CONNECT tunnel through the sidecar's outbound port, from `localAddress`. */
function tunnel(target: string, localAddress = SIDECAR): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: SIDECAR, port: mesh.proxy.outboundPort(), localAddress }, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!/^HTTP\/1\.1 200 /.test(head)) reject(new Error(`CONNECT ${target}: ${head.slice(0, end)}`));
      else resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** Sends `text` and resolves with the next chunk received. */
function roundTrip(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.once('error', reject);
    socket.write(text);
  });
}

/** Resolves true when `socket` closes within `ms`, false otherwise (then destroys it). */
function closesWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const t = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

test('TCP proxy: DestinationRule tcp.idleTimeout closes an idle proxied connection', async () => {
  const s = await tunnel(`tcp-idle:${P.idle}`);
  assert.equal(await roundTrip(s, 'hello'), 'idle:hello');
  const started = performance.now();
  assert.ok(await closesWithin(s, 10_000), 'the idle connection is closed (the default idle timeout is 1 h)');
  assert.ok(performance.now() - started >= 400, 'not before the idle timeout');
});

test('TCP proxy: DestinationRule tcp.maxConnectionDuration closes a busy proxied connection after the duration', async () => {
  const s = await tunnel(`tcp-life:${P.life}`);
  let echoes = 0;
  let closed = false;
  s.once('close', () => (closed = true));
  // Keep the connection busy (never idle) until it is closed, for at most 10 s.
  for (let i = 0; i < 50 && !closed; i++) {
    const got = await Promise.race([roundTrip(s, `m${i}`).catch(() => ''), sleep(1000).then(() => '')]);
    if (got === `life:m${i}`) echoes++;
    await sleep(200);
  }
  s.destroy();
  assert.ok(closed, 'closed by maxConnectionDuration while active');
  assert.ok(echoes >= 2, `data flowed before (${echoes} echoes)`);
});

test('TCP proxy: consistentHash.useSourceIp keeps each client address on one endpoint', async () => {
  const seen = new Map<string, Set<string>>();
  for (let c = 2; c <= 9; c++) {
    const local = `127.208.0.${c}`;
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const s = await tunnel(`tcp-hash:${P.hash}`, local);
      names.add((await roundTrip(s, 'x')).split(':')[0]!);
      s.destroy();
    }
    seen.set(local, names);
  }
  for (const [local, names] of seen) assert.equal(names.size, 1, `${local} reached ${[...names].join(', ')}`);
  const endpoints = new Set([...seen.values()].map((n) => [...n][0]));
  assert.ok(endpoints.size >= 2, `8 client addresses spread over endpoints (${[...endpoints].join(', ')})`);
});

test('HTTP: maxConnectionDuration drains the upstream connection (the request in flight completes, the next one reconnects)', async () => {
  const before = httpConnections;
  const slow = mesh.request(`http://mcd:${P.http}/slow`);
  const r = await slow;
  assert.equal(r.status, 200, 'the request in flight when the duration passed completed');
  await waitUntil(() => mesh.stat(`cluster.outbound|${P.http}||mcd.default.svc.cluster.local.upstream_cx_max_duration_reached`).then((v) => v >= 1), 'upstream_cx_max_duration_reached');
  assert.equal((await mesh.request(`http://mcd:${P.http}/`)).status, 200);
  assert.equal(httpConnections - before, 2, 'the second request needed a new upstream connection');
});

test('consistentHash.httpCookie.attributes are added to the generated Set-Cookie', async () => {
  const r = await mesh.request(`http://sticky:${P.sticky}/`);
  assert.equal(r.status, 200);
  const cookie = ([] as string[]).concat(r.headers['set-cookie'] ?? []).find((c) => c.startsWith('sticky='));
  assert.ok(cookie !== undefined, `a sticky cookie is generated: ${JSON.stringify(r.headers['set-cookie'])}`);
  assert.match(cookie, /; Max-Age=60/);
  assert.match(cookie, /; Path=\//);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Secure(;|$)/);
});
