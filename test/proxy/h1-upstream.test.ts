/**
 * End to end: the sidecar's own HTTP/1.1 upstream client (src/proxy/h1) against raw TCP upstreams
 * that write exact bytes: keep-alive reuse, chunked and close-delimited bodies streamed intact,
 * HEAD and interim 100, request bodies (Content-Length and chunked), `maxRequestsPerConnection`,
 * and malformed or smuggling responses answered 503 UPE while the proxy keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Mesh, service } from '../resilience/harness.js';

/** A request as the raw upstream saw it. */
interface SeenRequest {
  readonly head: string;
  readonly body: Buffer;
  readonly conn: number;
}

type RawHandler = (req: SeenRequest, socket: net.Socket) => void;

/** An upstream on raw sockets: parses requests (Content-Length or chunked bodies) and lets the test write bytes. */
class RawUpstream {
  readonly seen: SeenRequest[] = [];
  connections = 0;
  handler: RawHandler = (_r, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly address: string, readonly port: number) {
    this.server = net.createServer((socket) => {
      const conn = ++this.connections;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const r = takeRequest(buf);
          if (r === undefined) return;
          buf = buf.subarray(r.used);
          const req = { head: r.head, body: r.body, conn };
          this.seen.push(req);
          this.handler(req, socket);
        }
      });
      socket.on('error', () => undefined);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.port, this.address, () => resolve()));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One complete request from the front of `buf`, or undefined when more bytes are needed. */
function takeRequest(buf: Buffer): { head: string; body: Buffer; used: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  let pos = end + 4;
  const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (cl) {
    const n = Number(cl[1]);
    if (buf.length < pos + n) return undefined;
    return { head, body: buf.subarray(pos, pos + n), used: pos + n };
  }
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const parts: Buffer[] = [];
    for (;;) {
      const le = buf.indexOf('\r\n', pos);
      if (le < 0) return undefined;
      const size = parseInt(buf.toString('latin1', pos, le), 16);
      if (buf.length < le + 2 + size + 2) return undefined;
      if (size === 0) return { head, body: Buffer.concat(parts), used: le + 4 };
      parts.push(buf.subarray(le + 2, le + 2 + size));
      pos = le + 2 + size + 2;
    }
  }
  return { head, body: Buffer.alloc(0), used: pos };
}

const mesh = new Mesh('127.0.5.1');
const raw = new RawUpstream('127.0.5.11', 8000);
const limited = new RawUpstream('127.0.5.12', 8000);
const CLUSTER = 'outbound|8000||raw.default.svc.cluster.local';

before(async () => {
  await Promise.all([raw.listen(), limited.listen()]);
  await mesh.start({
    'registry.yaml': [service('raw', 8000, [raw.address]), service('limited', 8000, [limited.address])].join('---\n'),
    'dr.yaml': `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited}
spec:
  host: limited
  trafficPolicy:
    connectionPool: {http: {maxRequestsPerConnection: 2}}
`,
  }, []);
  await mesh.waitForHosts(CLUSTER, 1);
  await mesh.waitForHosts('outbound|8000||limited.default.svc.cluster.local', 1);
});

after(async () => {
  await mesh.stop();
  await raw.close();
  await limited.close();
});

test('keep-alive: sequential requests share one upstream connection; the request head is what the client sent', async () => {
  raw.handler = (_r, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Up: a\r\nx-up: b\r\n\r\nok');
  const before = raw.connections;
  for (let i = 0; i < 20; i++) {
    const r = await mesh.request(`http://raw:8000/path/${i}?q=${i}`, { headers: { 'x-custom': `v${i}` } });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
    assert.equal(r.headers['x-up'], 'a, b');
    assert.ok(r.headers['x-envoy-upstream-service-time'] !== undefined);
  }
  assert.equal(raw.connections - before, 1, 'one upstream connection for 20 requests');
  const last = raw.seen.at(-1)!.head;
  assert.match(last, /^GET \/path\/19\?q=19 HTTP\/1\.1\r\n/);
  assert.match(last, /\r\nhost: raw:8000/);
  assert.match(last, /\r\nx-custom: v19/);
  assert.match(last, /\r\nx-request-id: [0-9a-f-]{36}/);
});

test('a chunked body of 2 MB in uneven chunks arrives intact', async () => {
  const piece = Buffer.alloc(65_537, 'abcdefghijklmnopqrstuvwxyz');
  raw.handler = (_r, s) => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n');
    let sent = 0;
    const next = (): void => {
      if (sent >= 32) {
        s.write('0\r\n\r\n');
        return;
      }
      sent++;
      s.write(`${piece.length.toString(16)}\r\n`);
      s.write(piece);
      s.write('\r\n', () => setImmediate(next));
    };
    next();
  };
  const r = await mesh.request('http://raw:8000/big');
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 65_537 * 32);
  assert.equal(r.body, piece.toString('latin1').repeat(32));
});

test('a body delimited by the connection close arrives intact; the connection is not reused', async () => {
  raw.handler = (_r, s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part, ');
    setTimeout(() => s.end('second part'), 30);
  };
  const r = await mesh.request('http://raw:8000/close');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'first part, second part');
  const closedConn = raw.seen.at(-1)!.conn;
  raw.handler = (_r, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.equal((await mesh.request('http://raw:8000/after')).body, 'ok');
  assert.notEqual(raw.seen.at(-1)!.conn, closedConn);
});

test('HEAD, 204 and an interim 100 Continue', async () => {
  raw.handler = (r, s) => {
    if (r.head.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    else if (r.head.includes('/nocontent')) s.write('HTTP/1.1 204 No Content\r\n\r\n');
    else s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal');
  };
  const h = await mesh.request('http://raw:8000/head', { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-length'], '1234');
  assert.equal(h.body, '');
  assert.equal((await mesh.request('http://raw:8000/nocontent')).status, 204);
  const c = await mesh.request('http://raw:8000/continue');
  assert.equal(c.status, 200);
  assert.equal(c.body, 'final');
});

test('request bodies: Content-Length and chunked reach the upstream byte for byte', async () => {
  raw.handler = (r, s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${r.body.length}\r\n\r\n${r.body.toString('latin1')}`);
  const body = 'x'.repeat(100_000) + 'end';
  const r = await mesh.request('http://raw:8000/post', { method: 'POST', body });
  assert.equal(r.status, 200);
  assert.equal(r.body, body);
  // A chunked request: a raw client through the sidecar's outbound port.
  const reply = await new Promise<string>((resolve, reject) => {
    const c = net.connect(mesh.proxy.outboundPort(), mesh.sidecarIp, () => {
      c.write('POST http://raw:8000/chunked HTTP/1.1\r\nHost: raw:8000\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    });
    let out = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.ok(reply.endsWith('hello world'), reply);
  assert.match(raw.seen.at(-1)!.head, /\r\ntransfer-encoding: chunked/i);
  assert.equal(raw.seen.at(-1)!.body.toString(), 'hello world');
});

test('maxRequestsPerConnection: 2 requests per upstream connection', async () => {
  const before = limited.connections;
  for (let i = 0; i < 6; i++) assert.equal((await mesh.request('http://limited:8000/')).status, 200);
  assert.equal(limited.connections - before, 3);
  assert.equal(await mesh.stat('cluster.outbound|8000||limited.default.svc.cluster.local.upstream_cx_max_requests'), 3);
});

test('malformed and smuggling responses get 503 UPE; bytes after a response close the connection', async () => {
  const bad = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc',
    'HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n',
  ];
  const flagged = await mesh.requestsWithFlags('UPE');
  for (const wire of bad) {
    raw.handler = (_r, s) => s.write(wire);
    const r = await mesh.request('http://raw:8000/bad');
    assert.equal(r.status, 503, wire);
    assert.match(r.body, /protocol error/);
  }
  assert.equal(await mesh.requestsWithFlags('UPE'), flagged + bad.length);
  // A response followed by unsolicited bytes: served, and the connection is not reused.
  raw.handler = (_r, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra');
  assert.equal((await mesh.request('http://raw:8000/extra')).body, 'ok');
  const extraConn = raw.seen.at(-1)!.conn;
  raw.handler = (_r, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  assert.equal((await mesh.request('http://raw:8000/next')).body, 'ok');
  assert.notEqual(raw.seen.at(-1)!.conn, extraConn);
});
