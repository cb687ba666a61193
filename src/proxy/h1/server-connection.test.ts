/**
 * The server connection over real loopback sockets (127.0.0.1, ports 19550–19559 of this slice's
 * range): node:http as the client where a client would be one, raw sockets for exact bytes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import type { H1CodecError } from './codec-error.js';
import { H1ServerConnection, type H1Request, type H1ResponseWriter, type H1ServerOptions } from './server-connection.js';

const HOST = '127.0.0.1';
let nextPort = 19550;
const servers: net.Server[] = [];

after(() => {
  for (const s of servers) s.close();
});

/** A listener serving each connection with an {@link H1ServerConnection}. */
async function serve(opts: Partial<H1ServerOptions> & Pick<H1ServerOptions, 'onRequest'>): Promise<{ port: number; server: net.Server; conns: H1ServerConnection[] }> {
  const conns: H1ServerConnection[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => conns.push(new H1ServerConnection(socket, opts)));
  const port = nextPort++;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve());
  });
  servers.push(server);
  return { port, server, conns };
}

/** Writes `data` on a fresh connection and collects everything until the server closes (bounded). */
function raw(port: number, data: string | string[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST);
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    const parts = typeof data === 'string' ? [data] : data;
    let i = 0;
    const next = (): void => {
      if (i < parts.length) {
        s.write(parts[i++]!, 'latin1');
        setTimeout(next, gapMs);
      }
    };
    next();
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

function readAll(req: H1Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.body.on('data', (d: Buffer) => parts.push(d));
    req.body.on('end', () => resolve(Buffer.concat(parts)));
    req.body.on('error', reject);
  });
}

function get(port: number, path: string, agent: http.Agent, method = 'GET', headers: http.OutgoingHttpHeaders = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, path, agent, method, headers }, (res) => {
      let b = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('node:http client: keep-alive over one connection; Content-Length, chunked, HEAD and 204 responses', async () => {
  const { port, conns } = await serve({
    onRequest: (req, res) => {
      void readAll(req).then((body) => {
        const t = req.head.target;
        if (t === '/len') res.end(`len ${body.toString()}`);
        else if (t === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain', 'x-multi': ['a', 'b'] });
          res.write('one,');
          res.write(Buffer.from('two'));
          res.end();
        } else if (t === '/204') res.writeHead(204, []).end();
        else res.writeHead(200, ['content-length', '5']).end('hello');
      });
    },
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    assert.deepEqual((await get(port, '/len', agent, 'POST', {}, 'abc')).body, 'len abc');
    const c = await get(port, '/chunked', agent);
    assert.equal(c.body, 'one,two');
    assert.equal(c.headers['transfer-encoding'], 'chunked');
    assert.equal(c.headers['x-multi'], 'a, b');
    const h = await get(port, '/head', agent, 'HEAD');
    assert.equal(h.body, '');
    assert.equal(h.headers['content-length'], '5');
    assert.equal((await get(port, '/204', agent)).status, 204);
    assert.equal((await get(port, '/len', agent)).body, 'len ');
    assert.equal(conns.length, 1, 'all requests on one connection');
  } finally {
    agent.destroy();
  }
});

test('pipelining: responses in request order, one request at a time; a bad request after them gets 400 after their responses, then close', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const { port } = await serve({
    onRequest: (req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // The first answers last if the codec did not serialize them.
      const delay = req.head.target === '/1' ? 100 : 0;
      void readAll(req).then((b) => setTimeout(() => {
        inFlight--;
        res.end(`${req.head.target}:${b.toString()}`);
      }, delay));
    },
  });
  const got = await raw(port, `GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '200', '200', '400'], got);
  assert.ok(got.indexOf('/1:') < got.indexOf('/2:hi') && got.indexOf('/2:hi') < got.indexOf('/3:'), got);
  assert.match(got, /connection: close\r\n\r\nBad Request: content_length_and_chunked$/);
  assert.equal(maxInFlight, 1);
});

test('Expect: 100-continue: 100 Continue is sent when the body is read; node:http sends the body then', async () => {
  const { port } = await serve({ onRequest: (req, res) => void readAll(req).then((b) => res.end(`got ${b.length}`)) });
  const agent = new http.Agent({ keepAlive: false });
  const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false;
    const req = http.request({ host: HOST, port, method: 'PUT', path: '/up', agent, headers: { expect: '100-continue', 'content-length': '1000' } }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ continued, body: b }));
    });
    req.on('continue', () => {
      continued = true;
      req.end('x'.repeat(1000));
    });
    req.on('error', reject);
  });
  assert.deepEqual(result, { continued: true, body: 'got 1000' });
});

test('back-pressure: a 4 MB chunked upload to a slow reader arrives intact, and the socket is paused meanwhile', async () => {
  let pausedSeen = false;
  const { port } = await serve({
    onRequest: (req, res) => {
      const hash = createHash('sha256');
      let n = 0;
      req.body.on('data', (d: Buffer) => {
        hash.update(d);
        n += d.length;
        req.body.pause();
        setImmediate(() => req.body.resume());
      });
      req.body.on('end', () => res.end(`${n} ${hash.digest('hex')}`));
    },
  });
  const data = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
  const expected = `${data.length} ${createHash('sha256').update(data).digest('hex')}`;
  const agent = new http.Agent({ keepAlive: false });
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: HOST, port, method: 'POST', path: '/', agent }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    let off = 0;
    const pump = (): void => {
      while (off < data.length) {
        const piece = data.subarray(off, off + 65_537);
        off += piece.length;
        if (!req.write(piece)) {
          pausedSeen = true;
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  assert.equal(body, expected);
  assert.ok(pausedSeen, 'the client had to wait for the server to read');
});

test('upgrade (WebSocket) and CONNECT hand over the raw socket and the bytes after the head; without a handler: 501', async () => {
  const { port } = await serve({
    onRequest: (_req, res) => res.end('plain'),
    onUpgrade: (head, socket, rest) => {
      socket.write(`HTTP/1.1 ${head.method === 'CONNECT' ? '200 Connection Established' : '101 Switching Protocols'}\r\n\r\n`);
      socket.write(`tunnel ${head.target} rest=${rest.toString('latin1')};`);
      socket.on('data', (d: Buffer) => socket.end(`echo=${d.toString('latin1')}`));
      socket.resume();
    },
  });
  const ws = await raw(port, [`GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly`, 'later'], 50);
  assert.equal(ws, 'HTTP/1.1 101 Switching Protocols\r\n\r\ntunnel /chat rest=early;echo=later');
  const connect = await raw(port, ['CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n', 'ping'], 50);
  assert.equal(connect, 'HTTP/1.1 200 Connection Established\r\n\r\ntunnel db:5432 rest=;echo=ping');
  const refused: string[] = [];
  const plain = await serve({ onRequest: (_req, res) => res.end('plain'), onRefused: (e) => refused.push(e.code) });
  const no = await raw(plain.port, 'CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n');
  assert.match(no, /^HTTP\/1\.1 501 Not Implemented\r\n/);
  assert.deepEqual(refused, ['WEFT_H1_UPGRADE_NOT_SUPPORTED']);
});

test('local replies: each refusal gets its status, a stable code, Connection: close, and the app never sees it', async () => {
  const refused: H1CodecError[] = [];
  let served = 0;
  const { port } = await serve({ onRequest: (_req, res) => { served++; res.end('app'); }, onRefused: (e) => refused.push(e), limits: { maxBodyBytes: 100 } });
  const cases: [string, number, string][] = [
    [`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, 400, 'WEFT_H1_DUPLICATE_CONTENT_LENGTH'],
    [`GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n`, 400, 'WEFT_H1_BARE_CR_OR_LF'],
    [`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n`, 413, 'WEFT_H1_BODY_TOO_LARGE'],
    [`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'WEFT_H1_HEADERS_TOO_LARGE'],
    [`GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`, 431, 'WEFT_H1_TOO_MANY_HEADERS'],
    [`BREW / HTTP/1.1\r\nHost: a\r\n\r\n`, 501, 'WEFT_H1_UNKNOWN_METHOD'],
  ];
  for (const [input, status, code] of cases) {
    refused.length = 0;
    const got = await raw(port, input);
    assert.match(got, new RegExp(`^HTTP/1\\.1 ${status} [A-Za-z ]+\\r\\n`), `${code}: ${got.slice(0, 80)}`);
    assert.match(got, /\r\nconnection: close\r\n/);
    assert.deepEqual(refused.map((e) => e.code), [code]);
  }
  assert.equal(served, 0);
});

test('timeouts: a slow head gets 408 and close; an idle connection is closed without a reply', async () => {
  const { port } = await serve({ onRequest: (_req, res) => res.end('ok'), headersTimeoutMs: 200, idleTimeoutMs: 300 });
  const slow = await raw(port, ['GET / HTTP/1.1\r\n', 'Host: a\r\n', 'X-1: a\r\n', 'X-2: a\r\n', 'X-3: a\r\n', 'X-4: a\r\n'], 100);
  assert.match(slow, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  const started = Date.now();
  const idle = await raw(port, []);
  assert.equal(idle, '');
  assert.ok(Date.now() - started < 4000, 'closed by the idle timeout, not the test bound');
  // A served request, then idle: the response arrives and the connection closes after the idle timeout.
  const served = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(served, /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\n\r\nok$/);
});

test('Connection: close, HTTP/1.0 and graceful close end the connection after the response', async () => {
  const { port, conns } = await serve({
    onRequest: (req, res) => {
      if (req.head.target === '/drain') conns[conns.length - 1]!.close();
      res.writeHead(200, { 'x-t': req.head.target, 'content-length': 4 });
      res.end('body');
    },
  });
  const close = await raw(port, 'GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(close, 'HTTP/1.1 200 OK\r\nx-t: /c\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbody');
  const old = await raw(port, 'GET /10 HTTP/1.0\r\n\r\n');
  assert.equal(old, 'HTTP/1.1 200 OK\r\nx-t: /10\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbody');
  const kept = await raw(port, 'GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /drain HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(kept, 'HTTP/1.1 200 OK\r\nx-t: /ka\r\ncontent-length: 4\r\nconnection: keep-alive\r\n\r\nbodyHTTP/1.1 200 OK\r\nx-t: /drain\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbody');
});

test('a response that ends before its request body was read closes the connection (the body\'s framing is unknown)', async () => {
  const { port } = await serve({ onRequest: (_req: H1Request, res: H1ResponseWriter) => res.writeHead(403, ['content-length', '6']).end('denied') });
  const got = await raw(port, ['POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc', 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n'], 50);
  assert.equal(got, 'HTTP/1.1 403 Forbidden\r\ncontent-length: 6\r\nconnection: close\r\n\r\ndenied');
});
