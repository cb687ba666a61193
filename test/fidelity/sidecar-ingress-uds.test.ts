/**
 * Sidecar ingress `defaultEndpoint: unix:///path` (issue 12): istiod makes the inbound cluster's
 * endpoint an Envoy pipe address (`buildInboundClustersFromSidecar`), so the sidecar forwards the
 * listener's traffic to the app's Unix domain socket. Weft used to drop pipe endpoints: such a
 * listener answered 503 (no healthy upstream) and a TCP one closed the connection.
 *
 * Real sockets: a control plane watching Istio YAML, a real server-side sidecar (resilience
 * harness) and an app listening only on Unix domain sockets in a temp dir (HTTP on one, a raw line
 * echo on the other). Clients connect to the sidecar's inbound ports, as peers in the mesh do.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Mesh, waitUntil } from '../resilience/harness.js';

const POD_IP = '127.202.2.10';
const HTTP_PORT = 19320;
const TCP_PORT = 19321;

let dir = '';
let mesh: Mesh | undefined;
const seen: string[] = [];
const app = http.createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  res.setHeader('x-app', 'uds');
  res.end(`uds says hi to ${req.url}`);
});
const echo = net.createServer((s) => {
  s.setEncoding('utf8');
  s.on('data', (d: string) => s.write(`uds-echo:${d}`));
  s.on('end', () => s.end());
});
const clients = new Set<net.Socket>();

function listenPath(server: net.Server, p: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, () => resolve());
  });
}

function get(port: number, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: POD_IP, port, path: urlPath, agent: false, headers: { host: `uds:${port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-uds-'));
  const httpSock = path.join(dir, 'app.sock');
  const tcpSock = path.join(dir, 'echo.sock');
  await listenPath(app, httpSock);
  await listenPath(echo, tcpSock);
  const config = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: uds}
spec:
  workloadSelector: {labels: {app: uds}}
  ingress:
  - port: {number: ${HTTP_PORT}, protocol: HTTP, name: http}
    defaultEndpoint: unix://${httpSock}
  - port: {number: ${TCP_PORT}, protocol: TCP, name: tcp}
    defaultEndpoint: unix://${tcpSock}
`;
  mesh = new Mesh(POD_IP);
  await mesh.start({ 'config.yaml': config }, [], { podName: 'uds-0', labels: { app: 'uds' } });
  await waitUntil(() => mesh!.proxy.snapshot().clusters.get(`inbound|${TCP_PORT}||`)?.hostSet.hosts.length === 1, 'the pipe endpoint of the inbound clusters');
  await waitUntil(() => new Promise<boolean>((resolve) => {
    const s = net.connect(HTTP_PORT, POD_IP, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  }), 'the inbound listener');
});

after(async () => {
  for (const c of clients) c.destroy();
  await mesh?.stop();
  app.closeAllConnections();
  await new Promise<void>((r) => app.close(() => r()));
  await new Promise<void>((r) => echo.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('ingress defaultEndpoint unix:///path: HTTP on the listener port reaches the app on its Unix domain socket', async () => {
  const r = await get(HTTP_PORT, '/over-uds');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['x-app'], 'uds');
  assert.equal(r.body, 'uds says hi to /over-uds');
  assert.deepEqual(seen, ['GET /over-uds']);
});

test('ingress defaultEndpoint unix:///path on a TCP port: bytes are proxied to the socket and back', async () => {
  const s = net.connect(TCP_PORT, POD_IP);
  clients.add(s);
  const out = await new Promise<string>((resolve, reject) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (buf += d));
    s.on('close', () => resolve(buf));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('no answer within 10 s')));
    s.end('ping over uds\n');
  });
  assert.equal(out, 'uds-echo:ping over uds\n');
});
