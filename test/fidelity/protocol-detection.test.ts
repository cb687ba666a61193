/**
 * Protocol detection on a port with no declared protocol (issue 12, "Done when": an unnamed port
 * carrying HTTP/2 and raw TCP). Istio sniffs such ports (tls_inspector + http_inspector, HTTP chain
 * for http/1.1 and h2c, TCP proxy for the rest); Weft used to treat them as HTTP, so raw TCP got
 * `400 Bad Request` and the per-port listener was never bound.
 *
 * Real sockets only: an in-process control plane, one real sidecar (`startProxy`), and a backend
 * that speaks HTTP/1.1, h2c and a raw line protocol on ONE port (as an app on an unnamed port may).
 * Clients: curl through HTTP_PROXY, curl `--http2-prior-knowledge` through a CONNECT tunnel and on
 * the sidecar's per-port listener, and raw TCP both ways.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { startTestProxy } from '../harness/proxy.js';
import { portOf } from '../harness/ports.js';
import { waitUntil } from '../harness/eventually.js';

const SIDECAR = '127.0.216.10';
const BACKEND = '127.0.216.20';
const PORT = portOf(import.meta.url); // 19450, test/harness/ports.ts

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: mixed}
spec: {selector: {app: mixed}, ports: [{port: ${PORT}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: mixed-1}
spec: {address: ${BACKEND}, labels: {app: mixed}}
`;

let controlPlane: TestControlPlane | undefined;
let sidecar: ProxyHandle;
let rawConnections = 0;

// The backend: first bytes decide, as an app serving several protocols on one port would.
const h1 = http.createServer((req, res) => res.end(`h1 ${req.method} ${req.url} HTTP/${req.httpVersion}`));
const h2 = http2.createServer((req, res) => res.end(`h2 ${req.method} ${req.url} HTTP/${req.httpVersion}`));
const backend = net.createServer({ pauseOnConnect: false }, (socket) => {
  socket.once('data', (first: Buffer) => {
    socket.pause();
    socket.unshift(first);
    const text = first.toString('latin1');
    // node:http2 reads the bytes put back itself; HTTP/1 and raw need the socket resumed.
    if (text.startsWith('PRI * HTTP/2.0')) h2.emit('connection', socket);
    else if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r?\n/.test(text)) {
      h1.emit('connection', socket);
      socket.resume();
    } else {
      rawConnections++;
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => socket.write(`raw:${d}`));
      socket.on('end', () => socket.end());
      socket.resume();
    }
  });
});

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

/** Sends `text`, half-closes, resolves with everything received until the other side closed. */
function exchange(socket: net.Socket, text: string, initial = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = initial;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.resume();
    socket.end(text);
  });
}

/** Opens a CONNECT tunnel through the sidecar; resolves with the response head and the socket. */
function connectTunnel(target: string): Promise<{ head: string; socket: net.Socket; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sidecar.outboundPort(), SIDECAR, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      resolve({ head: buf.slice(0, end), socket, rest: buf.slice(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

before(async () => {
  await new Promise<void>((resolve, reject) => {
    backend.once('error', reject);
    backend.listen(PORT, BACKEND, () => resolve());
  });
  controlPlane = await startTestControlPlane({ files: { 'config.yaml': CONFIG }, tmpPrefix: 'weft-sniff-' });
  sidecar = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'sleep-0', labels: { app: 'sleep' } });
  await waitUntil(() => sidecar.snapshot().clusters.get(`outbound|${PORT}||mixed.default.svc.cluster.local`)?.hostSet.hosts.length === 1, 'endpoints');
  await waitUntil(() => sidecar.ports().tcp.has(`outbound:${PORT}`), `the per-port outbound listener ${SIDECAR}:${PORT}`);
});

after(async () => {
  await sidecar?.stop(500);
  await controlPlane?.stop();
  await new Promise<void>((r) => backend.close(() => r()));
});

test('unnamed port: HTTP/1.1 through HTTP_PROXY reaches the service as HTTP/1.1', async () => {
  const body = await curl(['-x', `http://${SIDECAR}:${sidecar.outboundPort()}`, `http://mixed:${PORT}/via-proxy`]);
  assert.equal(body, 'h1 GET /via-proxy HTTP/1.1');
});

test('unnamed port: h2c prior knowledge through a CONNECT tunnel is detected and stays HTTP/2', async () => {
  const body = await curl(['--http2-prior-knowledge', '-p', '-x', `http://${SIDECAR}:${sidecar.outboundPort()}`, `http://mixed:${PORT}/h2-tunnel`]);
  assert.equal(body, 'h2 GET /h2-tunnel HTTP/2.0');
});

test('unnamed port: raw TCP through a CONNECT tunnel is proxied as opaque TCP', async () => {
  const before = rawConnections;
  const t = await connectTunnel(`mixed:${PORT}`);
  assert.match(t.head, /^HTTP\/1\.1 200 /);
  const out = await exchange(t.socket, 'hello\nworld\n', t.rest);
  assert.equal(out, 'raw:hello\nworld\n');
  assert.equal(rawConnections, before + 1);
});

test('unnamed port: the per-port listener serves HTTP/1.1, h2c and raw TCP on one port', async () => {
  // The app resolved `mixed` to an address the sidecar owns for that port (as capture would).
  const to = ['--connect-to', `mixed:${PORT}:${SIDECAR}:${PORT}`];
  assert.equal(await curl([...to, `http://mixed:${PORT}/bound-h1`]), 'h1 GET /bound-h1 HTTP/1.1');
  assert.equal(await curl([...to, '--http2-prior-knowledge', `http://mixed:${PORT}/bound-h2`]), 'h2 GET /bound-h2 HTTP/2.0');
  const socket = net.connect(PORT, SIDECAR);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  assert.equal(await exchange(socket, 'ping 1\n'), 'raw:ping 1\n');
});

test('unnamed port: a client that has not spoken yet is held (no upstream connection), then proxied', async () => {
  const before = rawConnections;
  const socket = net.connect(PORT, SIDECAR);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // protocolDetectionTimeout defaults to 0s: detection waits for the client's first bytes.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rawConnections, before, 'no upstream connection before the client spoke');
  assert.equal(await exchange(socket, 'late\n'), 'raw:late\n');
});
