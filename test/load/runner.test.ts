/**
 * Tests of the load engine in-process (runLoad) against local servers on 127.0.0.1: no
 * coordinated omission in open loop, exact splits, abort, framing variants, stale keep-alive
 * sockets, bad responses, progress, and the opt-in environment proxy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { runLoad, type LoadPlan } from '../../src/load/runner.js';
import { startLoadServer, type TestServer } from './load-server.js';

let server: TestServer;
before(async () => {
  server = await startLoadServer();
});
after(async () => {
  await server.close();
});

/** Calls recorded at or above `ns` nanoseconds (by bucket). */
function countAtLeast(h: { buckets(): Iterable<{ from: number; count: number }> }, ns: number): number {
  let n = 0;
  for (const b of h.buckets()) if (b.from >= ns) n += b.count;
  return n;
}

/** Starts a raw TCP server that answers each connection with `onData`. */
async function rawServer(onData: (socket: net.Socket, chunk: Buffer) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => onData(socket, chunk));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    port: (s.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

test('open loop: a stall is charged to every request queued behind it (no coordinated omission)', async () => {
  // 100 qps on one connection for 1 s; request 10 (intended at 90 ms) takes 300 ms, so the
  // requests intended between 100 and 390 ms wait for it; their latency counts from their slot.
  const r = await runLoad({ url: `${server.url}/stall-once?at=10&ms=300&run=open`, qps: 100, connections: 1, durationMs: 1000 });
  assert.equal(r.mode, 'open');
  assert.equal(r.calls, 100);
  assert.equal(r.retCodes.get(200), 100);
  const slow = countAtLeast(r.durations, 100e6);
  assert.ok(slow >= 15, `only ${slow} calls ≥ 100 ms: the queue behind the stall was not measured`);
  assert.ok(r.startDelays.max >= 150e6, `start delay max ${r.startDelays.max / 1e6} ms`);
  assert.ok(r.durations.valueAtPercentile(90) >= 50e6, `p90 ${r.durations.valueAtPercentile(90) / 1e6} ms`);
  assert.ok(r.actualDurationMs >= 1000 && r.actualDurationMs < 3000, `ran ${r.actualDurationMs} ms`);
});

test('closed loop: the same stall delays one call only', async () => {
  const r = await runLoad({ url: `${server.url}/stall-once?at=5&ms=200&run=closed`, qps: 0, connections: 1, totalCalls: 30 });
  assert.equal(r.calls, 30);
  assert.equal(r.mode, 'closed');
  assert.equal(countAtLeast(r.durations, 150e6), 1);
  assert.equal(r.startDelays.count, 0);
});

test('a host name resolving to several addresses (localhost) reaches a server bound to 127.0.0.1', async () => {
  const r = await runLoad({ url: `http://localhost:${server.port}/`, qps: 0, connections: 2, totalCalls: 4 });
  assert.deepEqual([...r.retCodes], [[200, 4]]);
  assert.ok(r.addresses.length >= 1);
});

test('-n splits exactly across connections that do not divide it; onStart sees the plan first', async () => {
  const before = server.log.requests;
  let plan: LoadPlan | undefined;
  const r = await runLoad({ url: `${server.url}/`, qps: 0, connections: 4, totalCalls: 10, onStart: (p) => (plan = p) });
  assert.equal(server.log.requests - before, 10);
  assert.equal(r.calls, 10);
  assert.equal(r.callsPerConnection.reduce((a, b) => a + b, 0), 10);
  assert.equal(r.warmupConnections, 4);
  assert.equal(r.socketCount, 4);
  assert.equal(plan?.requestedCalls, 10);
  assert.equal(plan?.connections, 4);
});

test('an abort signal ends an unbounded run and keeps its results', async () => {
  const ac = new AbortController();
  const progress: number[] = [];
  setTimeout(() => ac.abort(), 300);
  const r = await runLoad({ url: `${server.url}/`, qps: 200, connections: 2, durationMs: 0, signal: ac.signal, progressIntervalMs: 50, onProgress: (p) => progress.push(p.calls) });
  assert.equal(r.aborted, true);
  assert.ok(r.calls >= 20 && r.calls <= 120, `${r.calls} calls`);
  assert.equal(r.retCodes.get(200), r.calls);
  assert.ok(progress.length >= 2, `progress reported ${progress.length} times`);
  assert.ok(r.actualDurationMs < 2000);
});

test('closed loop with a duration stops at the deadline', async () => {
  const r = await runLoad({ url: `${server.url}/`, qps: 0, connections: 2, durationMs: 300 });
  assert.ok(r.calls > 10, `${r.calls} calls`);
  assert.ok(r.actualDurationMs >= 300 && r.actualDurationMs < 1500, `${r.actualDurationMs} ms`);
  assert.equal(r.aborted, false);
});

test('chunked bodies are framed and sized; sizes count head and body bytes', async () => {
  const r = await runLoad({ url: `${server.url}/chunked`, qps: 0, connections: 1, totalCalls: 3 });
  assert.equal(r.retCodes.get(200), 3);
  assert.equal(r.socketCount, 1);
  assert.ok(r.totalSizes.min > r.headerSizes.max, 'total includes the chunked body');
});

test('close-delimited responses, garbage and mid-body resets', async () => {
  const legacy = await rawServer((s) => s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close'));
  const garbage = await rawServer((s) => s.end('SPDY/9 what\r\n\r\n'));
  const reset = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    setTimeout(() => s.destroy(), 10);
  });
  try {
    const a = await runLoad({ url: `http://127.0.0.1:${legacy.port}/`, qps: 0, connections: 1, totalCalls: 3 });
    assert.deepEqual([...a.retCodes], [[200, 3]]);
    assert.equal(a.socketCount, 3, 'a new socket per close-delimited response');
    const b = await runLoad({ url: `http://127.0.0.1:${garbage.port}/`, qps: 0, connections: 1, totalCalls: 2 });
    assert.deepEqual([...b.retCodes], [[-1, 2]]);
    assert.deepEqual([...b.errorReasons], [['LOAD_BAD_RESPONSE', 2]]);
    const c = await runLoad({ url: `http://127.0.0.1:${reset.port}/`, qps: 0, connections: 1, totalCalls: 1 });
    assert.deepEqual([...c.retCodes], [[-1, 1]]);
    assert.equal(c.errorDurations.count, 1);
  } finally {
    await Promise.all([legacy.close(), garbage.close(), reset.close()]);
  }
});

test('connections the server closes while idle are replaced, not counted as errors', async () => {
  // Answers without Connection: close, then closes the connection once idle, well before the next
  // slot (every 100 ms). A close racing with the next request would be a real -1, as for any client.
  const idle = await rawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    setImmediate(() => socket.end());
  });
  try {
    const r = await runLoad({ url: `http://127.0.0.1:${idle.port}/`, qps: 10, connections: 1, durationMs: 500 });
    assert.deepEqual([...r.retCodes], [[200, 5]]);
    assert.equal(r.socketCount, 5);
  } finally {
    await idle.close();
  }
});

test('with useEnvProxy, http requests go to HTTP_PROXY in absolute form; without it, directly', async () => {
  const seen: { url: string; host: string }[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', host: req.headers.host ?? '' });
    res.end('via proxy');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const env = { HTTP_PROXY: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, NO_PROXY: 'localhost' };
    const r = await runLoad({ url: 'http://reviews:9080/r?x=1', qps: 0, connections: 1, totalCalls: 2, useEnvProxy: true, env });
    assert.deepEqual([...r.retCodes], [[200, 2]]);
    assert.deepEqual(seen, Array(2).fill({ url: 'http://reviews:9080/r?x=1', host: 'reviews:9080' }));
    assert.ok(r.proxy);
    const before = server.log.requests;
    const direct = await runLoad({ url: `${server.url}/`, qps: 0, connections: 1, totalCalls: 1, env });
    assert.equal(direct.proxy, undefined);
    assert.equal(server.log.requests - before, 1);
  } finally {
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
});

test('bad options are refused before any request', async () => {
  await assert.rejects(runLoad({ url: `${server.url}/`, connections: 0 }), { code: 'LOAD_BAD_OPTIONS' });
  await assert.rejects(runLoad({ url: `${server.url}/`, timeoutMs: 0 }), { code: 'LOAD_BAD_OPTIONS' });
  await assert.rejects(runLoad({ url: 'http://no-such-host.invalid/', totalCalls: 1 }), { code: 'LOAD_RESOLVE_FAILED' });
  await assert.rejects(runLoad({ url: 'gopher://x/' }), { code: 'LOAD_BAD_URL' });
  await assert.rejects(runLoad({ url: `${server.url}/`, headers: ['X: a\nb'] }), { code: 'LOAD_BAD_HEADER' });
});
