/**
 * Inbound protocol detection (issue 12): a service port with no declared protocol, served through
 * TWO real sidecars (caller `sleep` → receiving `mixed`), as istiod configures the receiving side
 * (listener_inbound.go, filterchain_options.go): tls_inspector + http_inspector on virtualInbound,
 * HTTP chains for `istio-http/1.1`/`istio-h2` over mTLS and `http/1.1`/`h2c` in plaintext, TCP
 * chains for `istio` over mTLS and any other plaintext, and the app's own TLS passed through as TCP
 * (PERMISSIVE). Mesh config `protocolDetectionTimeout` bounds the wait for a client's first bytes,
 * so a server-first protocol (an SMTP-like `220` banner) works once it expires.
 * Weft used to serve such a port as HTTP on the receiving side: raw TCP got `400 Bad Request`, a
 * banner never came, and TLS from the app's clients was parsed as HTTP.
 *
 * Real sockets only: an in-process control plane with the mesh CA (mesh-fixture.ts), two sidecars
 * with workload certificates, an app on its own loopback address speaking HTTP/1.1, h2c, TLS and a
 * raw line protocol on one port and a banner protocol on another; clients are curl, openssl and raw
 * sockets, through the caller's sidecar (HTTP_PROXY, CONNECT) and straight to the receiving one.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { meshConfigWith } from '../../src/config/mesh-config.js';
import { run, startMesh, startSidecar, stat, stopAll, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';

const CLIENT = '127.202.0.10';
const SERVER = '127.202.0.20';
const APP = '127.202.0.21';
const PORT = 19300;
const BANNER_PORT = 19301;
const CLUSTER = `outbound|${PORT}||mixed.default.svc.cluster.local`;
const BANNER = '220 mail.weft.test ESMTP ready\r\n';

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: mixed}
spec: {selector: {app: mixed}, ports: [{port: ${PORT}}]}
---
apiVersion: v1
kind: Service
metadata: {name: mail}
spec: {selector: {app: mixed}, ports: [{port: ${BANNER_PORT}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: mixed-0}
spec:
  address: ${SERVER}
  serviceAccount: mixed
  labels: {app: mixed, security.istio.io/tlsMode: istio}
`;

let mesh: Mesh | undefined;
let client: ProxyHandle | undefined;
let server: ProxyHandle | undefined;
let certDir = '';
const counts = { raw: 0, tls: 0 };
/** Client sockets the tests open, destroyed in `after` even when a test failed midway. */
const clientSockets = new Set<net.Socket>();

// The app: first bytes decide, as an app serving several protocols on one port may.
const h1 = http.createServer((req, res) => res.end(`h1 ${req.method} ${req.url} HTTP/${req.httpVersion} xfcc=${req.headers['x-forwarded-client-cert'] ? 'yes' : 'no'}`));
const h2 = http2.createServer((req, res) => res.end(`h2 ${req.method} ${req.url} HTTP/${req.httpVersion} xfcc=${req.headers['x-forwarded-client-cert'] ? 'yes' : 'no'}`));
let tlsApp: tls.Server | undefined;
const app = net.createServer((socket) => {
  socket.once('data', (first: Buffer) => {
    socket.pause();
    socket.unshift(first);
    const text = first.toString('latin1');
    if (first[0] === 0x16 && tlsApp) {
      counts.tls++;
      tlsApp.emit('connection', socket);
    } else if (text.startsWith('PRI * HTTP/2.0')) h2.emit('connection', socket);
    else if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r?\n/.test(text)) {
      h1.emit('connection', socket);
      socket.resume();
    } else {
      counts.raw++;
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => socket.write(`raw:${d}`));
      socket.on('end', () => socket.end());
      socket.resume();
    }
  });
});
// A server-first protocol: the banner goes out before the client says anything.
const mail = net.createServer((socket) => {
  socket.write(BANNER);
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => socket.write(`250 ${d.trim()}\r\n`));
  socket.on('end', () => socket.end());
});

function listen(s: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, APP, () => resolve());
  });
}

async function curl(args: string[]): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '10', ...args]);
  assert.equal(r.code, 0, `curl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Reads from `socket` until `done(text)` holds (bounded: 10 s), without writing anything. */
function readUntil(socket: net.Socket, done: (text: string) => boolean, initial = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = initial;
    if (done(out)) return resolve(out);
    const timer = setTimeout(() => reject(new Error(`no complete answer within 10 s, got ${JSON.stringify(out)}`)), 10_000);
    socket.setEncoding('utf8');
    const onData = (d: string): void => {
      out += d;
      if (done(out)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(out);
      }
    };
    socket.on('data', onData);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.resume();
  });
}

/** Opens a CONNECT tunnel through the caller's sidecar; resolves with the head, the socket and bytes after the head. */
function connectTunnel(target: string): Promise<{ head: string; socket: net.Socket; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(client!.outboundPort(), CLIENT, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    clientSockets.add(socket);
    let buf = '';
    const timer = setTimeout(() => socket.destroy(new Error('no CONNECT answer within 10 s')), 10_000);
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve({ head: buf.slice(0, end), socket, rest: buf.slice(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

function connectDirect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, SERVER, () => resolve(s));
    clientSockets.add(s);
    s.once('error', reject);
  });
}

before(async () => {
  certDir = await mkdtemp(path.join(os.tmpdir(), 'weft-inbound-sniff-'));
  const key = path.join(certDir, 'key.pem');
  const cert = path.join(certDir, 'cert.pem');
  const gen = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=mixed.app', '-keyout', key, '-out', cert]);
  assert.equal(gen.code, 0, gen.stderr);
  tlsApp = tls.createServer({ key: await readFile(key), cert: await readFile(cert) }, (s) => s.end(`tls-app:${s.alpnProtocol || 'none'}\n`));
  await listen(app, PORT);
  await listen(mail, BANNER_PORT);
  mesh = await startMesh({ 'config.yaml': CONFIG }, { meshConfig: meshConfigWith({ protocolDetectionTimeoutMs: 300 }) });
  server = await startSidecar(mesh, { ip: SERVER, pod: 'mixed-0', sa: 'mixed', labels: { app: 'mixed', 'security.istio.io/tlsMode': 'istio' }, appAddress: APP });
  client = await startSidecar(mesh, { ip: CLIENT, pod: 'sleep-0', sa: 'sleep', labels: { app: 'sleep' } });
  await waitUntil(() => (client!.snapshot().clusters.get(CLUSTER)?.hostSet.hosts.length ?? 0) === 1, 'caller endpoints');
  await waitUntil(async () => {
    const s = await new Promise<net.Socket | undefined>((resolve) => {
      const c = net.connect(PORT, SERVER, () => resolve(c));
      c.once('error', () => resolve(undefined));
    });
    s?.destroy();
    return s !== undefined;
  }, 'the receiving sidecar on the detected port');
});

after(async () => {
  for (const s of clientSockets) s.destroy();
  await stopAll(mesh, [client, server], [app, mail, h1]);
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

test('inbound detection, mTLS: HTTP/1.1 from the caller sidecar reaches the app through the receiving HTTP chain', async () => {
  const handshakes = await stat(client!, CLIENT, `cluster.${CLUSTER}.ssl.handshake`);
  const body = await curl(['-x', `http://${CLIENT}:${client!.outboundPort()}`, `http://mixed:${PORT}/h1-mtls`]);
  // XFCC is set by the receiving sidecar's HTTP connection manager: the request went through its HTTP chain.
  assert.equal(body, 'h1 GET /h1-mtls HTTP/1.1 xfcc=yes');
  assert.ok((await stat(client!, CLIENT, `cluster.${CLUSTER}.ssl.handshake`)) >= Math.max(1, handshakes), 'mTLS between the sidecars');
});

test('inbound detection, mTLS: h2c prior knowledge stays HTTP/2 through both sidecars', async () => {
  const body = await curl(['--http2-prior-knowledge', '-p', '-x', `http://${CLIENT}:${client!.outboundPort()}`, `http://mixed:${PORT}/h2-mtls`]);
  assert.equal(body, 'h2 GET /h2-mtls HTTP/2.0 xfcc=yes');
});

test('inbound detection, mTLS: raw TCP from the caller sidecar is proxied as opaque TCP by the receiving one', async () => {
  const before = counts.raw;
  const handshakes = await stat(client!, CLIENT, `cluster.${CLUSTER}.ssl.handshake`);
  const t = await connectTunnel(`mixed:${PORT}`);
  assert.match(t.head, /^HTTP\/1\.1 200 /);
  t.socket.write('hello\n');
  const out = await readUntil(t.socket, (s) => s.includes('raw:hello\n'), t.rest);
  assert.equal(out, 'raw:hello\n');
  t.socket.destroy();
  assert.equal(counts.raw, before + 1);
  assert.equal(await stat(client!, CLIENT, `cluster.${CLUSTER}.ssl.handshake`), handshakes + 1, 'the TCP connection went over mTLS');
});

test('inbound detection, mTLS: a server-first protocol sends its banner once protocolDetectionTimeout expires on the caller', async () => {
  const t = await connectTunnel(`mail:${BANNER_PORT}`);
  assert.match(t.head, /^HTTP\/1\.1 200 /);
  // The client says nothing: the caller's detection times out (300 ms), the connection goes on as TCP.
  const banner = await readUntil(t.socket, (s) => s.includes('\r\n'), t.rest);
  assert.equal(banner, BANNER);
  t.socket.write('EHLO client\r\n');
  assert.equal(await readUntil(t.socket, (s) => s.includes('250')), '250 EHLO client\r\n');
  t.socket.destroy();
});

test('inbound detection, PERMISSIVE plaintext: raw TCP, HTTP/1.1 and h2c from a client without a sidecar', async () => {
  const before = counts.raw;
  const s = await connectDirect(PORT);
  s.write('plain\n');
  assert.equal(await readUntil(s, (x) => x.includes('\n')), 'raw:plain\n');
  s.destroy();
  assert.equal(counts.raw, before + 1);
  assert.equal(await curl(['--noproxy', '*', `http://${SERVER}:${PORT}/h1-plain`]), 'h1 GET /h1-plain HTTP/1.1 xfcc=no');
  assert.equal(await curl(['--noproxy', '*', '--http2-prior-knowledge', `http://${SERVER}:${PORT}/h2-plain`]), 'h2 GET /h2-plain HTTP/2.0 xfcc=no');
});

test('inbound detection, PERMISSIVE plaintext: a server-first protocol gets its banner after protocolDetectionTimeout', async () => {
  const s = await connectDirect(BANNER_PORT);
  assert.equal(await readUntil(s, (x) => x.includes('\r\n')), BANNER);
  s.destroy();
});

test("inbound detection, PERMISSIVE: the app's own TLS is passed through as TCP, not terminated by the sidecar", async () => {
  const before = counts.tls;
  const r = await run('openssl', ['s_client', '-connect', `${SERVER}:${PORT}`, '-servername', 'mixed.app', '-alpn', 'h2,http/1.1', '-quiet'], '');
  assert.match(r.stdout, /tls-app:(none|h2|http\/1\.1)/, r.stderr);
  assert.match(r.stderr, /CN\s*=\s*mixed\.app/, 'the certificate is the app\'s own, not the workload certificate');
  assert.equal(counts.tls, before + 1);
});
