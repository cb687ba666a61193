/**
 * The proxy's HTTP/1.1 listener on Weft's own codec (http-server.ts), over raw loopback sockets:
 * node:http's request/response shapes at the handler, Envoy's 400 for an unknown method,
 * pipelining in order, `Expect: 100-continue`, CONNECT handed over with the bytes after its head,
 * a client's FIN aborting its in-flight request, and a graceful close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { DownstreamRequest, DownstreamResponse } from '../http/downstream.js';
import { HttpListener, type RequestHandler } from './http-server.js';

/** Sends `raw` on a new connection; resolves with everything read until the server closes (bounded). */
function exchange(port: number, raw: string, endAfterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(raw));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(got));
    if (endAfterMs !== undefined) setTimeout(() => s.end(), endAfterMs);
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

async function withListener(handler: RequestHandler, body: (port: number, l: HttpListener) => Promise<void>): Promise<void> {
  const l = new HttpListener(handler);
  const port = await l.listen('127.0.0.1', 0);
  try {
    await body(port, l);
  } finally {
    await l.close(200);
  }
}

test('the handler sees node:http field names; the response has a date and node:http framing', async () => {
  let seen: Record<string, unknown> = {};
  await withListener((req: DownstreamRequest, res: DownstreamResponse) => {
    seen = { method: req.method, url: req.url, version: req.httpVersion, cookie: req.headers['cookie'], multi: req.headers['x-m'], host: req.headers.host, raw: req.rawHeaders.length, local: req.socket.localAddress };
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hi');
  }, async (port) => {
    const out = await exchange(port, 'GET /p?q=1 HTTP/1.1\r\nHost: a\r\nHost2: b\r\nCookie: a=1\r\nCookie: b=2\r\nX-M: 1\r\nX-M: 2\r\nConnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(out, /\r\ndate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    assert.match(out, /\r\ntransfer-encoding: chunked\r\n[\s\S]*\r\n\r\n2\r\nhi\r\n0\r\n\r\n$/);
  });
  assert.deepEqual(seen, { method: 'GET', url: '/p?q=1', version: '1.1', cookie: 'a=1; b=2', multi: '1, 2', host: 'a', raw: 14, local: '127.0.0.1' });
});

test('an unknown method is answered 400 as Envoy does (the codec says 501); the handler never sees it', async () => {
  let calls = 0;
  await withListener((_req, res) => {
    calls++;
    res.end('ok');
  }, async (port) => {
    const out = await exchange(port, 'FOO / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(out, /\r\nconnection: close\r\n/);
    assert.match(out, /Bad Request: unknown_method$/);
    assert.match(await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 OK\r\n[\s\S]*ok$/);
  });
  assert.equal(calls, 1);
});

test('pipelined requests are answered in order even when the first answers last', async () => {
  await withListener((req, res) => {
    const delay = req.url === '/slow' ? 100 : 0;
    setTimeout(() => res.end(req.url ?? ''), delay);
  }, async (port) => {
    const out = await exchange(port, 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const bodies = [...out.matchAll(/\r\n\r\n(\/[a-z]+)/g)].map((m) => m[1]);
    assert.deepEqual(bodies, ['/slow', '/fast']);
  });
});

test('Expect: 100-continue gets 100 Continue at once (Envoy, node:http), before the handler reads, then the response', async () => {
  let sawContinue!: () => void;
  const continued = new Promise<void>((r) => (sawContinue = r));
  await withListener((req, res) => {
    // The handler reads the body only once the client has seen 100 Continue: no read triggers it.
    void continued.then(() => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`got ${n}`));
    });
  }, async (port) => {
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'));
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got === 'HTTP/1.1 100 Continue\r\n\r\n') {
          sawContinue();
          s.write('hello');
        }
      });
      s.on('error', reject);
      s.on('close', () => resolve(got));
      setTimeout(() => s.destroy(), 5000).unref();
    });
    assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*got 5$/);
  });
});

test('CONNECT is emitted on the server as node:http does, with the bytes sent after its head', async () => {
  await withListener((_req, res) => res.end('not a tunnel'), async (port, l) => {
    l.server.on('connect', (req: DownstreamRequest, socket: net.Socket, head: Buffer) => {
      socket.write(`HTTP/1.1 200 Connection established\r\n\r\n${req.url} ${head.toString()}`);
      socket.on('data', (d: Buffer) => socket.end(`|${d.toString()}`));
    });
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\nearly'));
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.endsWith('early')) s.write('later');
      });
      s.on('error', reject);
      s.on('close', () => resolve(got));
      setTimeout(() => s.destroy(), 5000).unref();
    });
    assert.equal(out, 'HTTP/1.1 200 Connection established\r\n\r\ndb:5432 early|later');
  });
});

test("a client's FIN aborts its in-flight request: the response closes unfinished (node:http, Envoy)", async () => {
  let closed: { finished: boolean; destroyed: boolean } | undefined;
  await withListener((_req, res) => {
    res.on('close', () => (closed = { finished: res.writableFinished, destroyed: res.destroyed }));
  }, async (port) => {
    const out = await exchange(port, 'GET /hang HTTP/1.1\r\nHost: a\r\n\r\n', 50);
    assert.equal(out, '');
  });
  assert.deepEqual(closed, { finished: false, destroyed: true });
});

test('close() lets an in-flight response finish (with Connection: close) and closes idle connections', async () => {
  const l = new HttpListener((_req, res) => setTimeout(() => res.end('late'), 150));
  const port = await l.listen('127.0.0.1', 0);
  const idle = net.connect(port, '127.0.0.1');
  const idleClosed = new Promise<void>((r) => idle.on('close', () => r()));
  idle.on('error', () => undefined);
  idle.resume();
  idle.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 250));
  const busy = exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 30));
  const closing = l.close(2000);
  const out = await busy;
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n[\s\S]*late$/);
  await idleClosed;
  await closing;
  // net.Server reports 'close' a tick before the last socket's own 'close' event.
  for (let i = 0; i < 20 && l.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(l.connectionCount, 0);
});
