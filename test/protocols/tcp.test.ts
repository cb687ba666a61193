/**
 * TCP proxying end to end on loopback: an in-process control plane, a real sidecar and gateway
 * (`startProxy`), tcp-echo v1/v2 servers (the sample's echo server). Covers the gateway's TCP server
 * with Istio's 80/20 tcp-echo split (within 3σ), half-close, HTTP CONNECT on the sidecar's outbound
 * listener (TCP services, HTTP inside the tunnel with curl `-p -x`), the sidecar's per-port outbound
 * TCP listener, UF when the upstream is down, and Istio's TCP metrics.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { startTestProxy } from '../harness/proxy.js';
import { createEchoServer } from '../../samples/tcp-echo/echo-server.js';
import { waitUntil } from '../harness/eventually.js';

const SIDECAR = '127.0.9.40';
const GATEWAY = '127.0.9.41';
const V1 = '127.0.9.51';
const V2 = '127.0.9.52';
const DEAD = '127.0.9.59';
const WEB = '127.0.9.60';

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: tcp-echo}
spec: {selector: {app: tcp-echo}, ports: [{name: tcp, port: 9000}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: tcp-echo-v1}
spec: {address: ${V1}, labels: {app: tcp-echo, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: tcp-echo-v2}
spec: {address: ${V2}, labels: {app: tcp-echo, version: v2}}
---
apiVersion: v1
kind: Service
metadata: {name: dead}
spec: {selector: {app: dead}, ports: [{name: tcp, port: 9100}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: dead-1}
spec: {address: ${DEAD}, labels: {app: dead}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-1}
spec: {address: ${WEB}, labels: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tcp-echo-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ['*']}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: tcp-echo-destination}
spec:
  host: tcp-echo
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-echo}
spec:
  hosts: ['*']
  gateways: [tcp-echo-gateway]
  tcp:
  - match: [{port: 31400}]
    route:
    - {destination: {host: tcp-echo, port: {number: 9000}, subset: v1}, weight: 80}
    - {destination: {host: tcp-echo, port: {number: 9000}, subset: v2}, weight: 20}
`;

let controlPlane: TestControlPlane | undefined;
let sidecar: ProxyHandle;
let gateway: ProxyHandle;
let gatewayPort = 0;
const echoes = [createEchoServer('one', () => undefined), createEchoServer('two', () => undefined), createEchoServer('outside', () => undefined)];
const web = http.createServer((req, res) => res.end(`web ${req.url} ${req.headers.host}`));

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Sends `text`, half-closes, resolves with everything received until the server closed. */
function exchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.end(text));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** Opens a CONNECT tunnel through the sidecar; resolves with the response head and the socket. */
function connectTunnel(target: string): Promise<{ head: string; socket: net.Socket; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sidecar.outboundPort(), SIDECAR, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = '';
    socket.setEncoding('utf8');
    const onData = (d: string): void => {
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ head: buf.slice(0, end), socket, rest: buf.slice(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

function readAll(socket: net.Socket, initial: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = initial;
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

async function prometheus(proxy: ProxyHandle, ip: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    http.get({ host: ip, port: proxy.adminPort, path: '/stats/prometheus' }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

/** Sum of a metric's samples whose label text matches every pattern. */
function metric(text: string, name: string, ...patterns: RegExp[]): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (patterns.every((p) => p.test(line))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}

before(async () => {
  await listen(echoes[0]!, 9000, V1);
  await listen(echoes[1]!, 9000, V2);
  await listen(echoes[2]!, 9700, V1);
  await listen(web, 9080, WEB);
  controlPlane = await startTestControlPlane({ files: { 'config.yaml': CONFIG }, tmpPrefix: 'weft-tcp-' });
  sidecar = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'sleep-0', labels: { app: 'sleep' }, waitReady: false });
  gateway = await startTestProxy(controlPlane, { role: 'gateway', ip: GATEWAY, pod: 'istio-ingressgateway-0', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, waitReady: false });
  await Promise.all([sidecar.ready(), gateway.ready()]);
  await waitUntil(() => gateway.snapshot().clusters.get('outbound|9000|v2|tcp-echo.default.svc.cluster.local')?.hostSet.hosts.length === 1, 'gateway endpoints');
  await waitUntil(() => [...gateway.ports().tcp.keys()].some((k) => k.endsWith(':31400')), 'gateway TCP listener');
  gatewayPort = [...gateway.ports().tcp].find(([k]) => k.endsWith(':31400'))![1];
  await waitUntil(() => sidecar.ports().tcp.has('outbound:9000') && sidecar.snapshot().clusters.get('outbound|9000||tcp-echo.default.svc.cluster.local')?.hostSet.hosts.length === 2, 'sidecar TCP');
});

after(async () => {
  await sidecar?.stop(500);
  await gateway?.stop(500);
  await controlPlane?.stop();
  for (const s of [...echoes, web]) await new Promise<void>((r) => s.close(() => r()));
});

test('gateway TCP server: tcp-echo lines come back prefixed, half-close honoured', async () => {
  const out = await exchange(GATEWAY, gatewayPort, 'hello\nworld\n');
  assert.match(out, /^(one|two) hello\n(one|two) world\n$/);
  assert.equal(await exchange(GATEWAY, gatewayPort, 'no newline').then((o) => o.slice(4)), 'no newline', 'last partial line echoed after our FIN');
});

test('gateway TCP server: 80/20 weighted split within 3 sigma over 200 connections', async () => {
  const n = 200;
  let two = 0;
  for (let i = 0; i < n; i += 20) {
    const outs = await Promise.all(Array.from({ length: 20 }, () => exchange(GATEWAY, gatewayPort, 'x\n')));
    for (const o of outs) {
      assert.match(o, /^(one|two) x\n$/);
      if (o.startsWith('two')) two++;
    }
  }
  const sigma = Math.sqrt(n * 0.2 * 0.8);
  assert.ok(Math.abs(two - n * 0.2) <= 3 * sigma, `v2 got ${two} of ${n}`);
});

test('Istio TCP metrics on the gateway: opened, closed, bytes, with Istio labels', async () => {
  const text = await prometheus(gateway, GATEWAY);
  const labels = [/reporter="source"/, /destination_service="tcp-echo\.default\.svc\.cluster\.local"/, /request_protocol="tcp"/, /destination_version="v1"/, /response_flags="-"/];
  const opened = metric(text, 'istio_tcp_connections_opened_total', ...labels);
  const closed = metric(text, 'istio_tcp_connections_closed_total', ...labels);
  assert.ok(opened > 100, `opened ${opened}`);
  assert.equal(closed, opened);
  assert.ok(metric(text, 'istio_tcp_received_bytes_total', ...labels) >= opened * 2, 'received bytes');
  assert.ok(metric(text, 'istio_tcp_sent_bytes_total', ...labels) >= opened * 6, 'sent bytes');
  assert.doesNotMatch(text, /istio_tcp_connections_opened_total\{[^}]*response_code/);
  assert.match(text, /envoy_cluster_upstream_cx_total\{cluster_name="outbound\|9000\|v1\|tcp-echo\.default\.svc\.cluster\.local"\} [1-9]/);
});

test('CONNECT through the outbound listener tunnels to the TCP service of that port', async () => {
  const { head, socket, rest } = await connectTunnel('tcp-echo:9000');
  assert.match(head, /^HTTP\/1\.1 200 /);
  socket.end('through the tunnel\n');
  assert.match(await readAll(socket, rest), /^(one|two) through the tunnel\n$/);
});

test('CONNECT to an HTTP service port carries HTTP (curl -p -x)', async () => {
  const body = await curl(['-p', '-x', `http://${SIDECAR}:${sidecar.outboundPort()}`, 'http://web:9080/inside']);
  assert.equal(body, 'web /inside web:9080');
});

test("the sidecar's per-port outbound TCP listener on the pod IP", async () => {
  assert.match(await exchange(SIDECAR, 9000, 'direct\n'), /^(one|two) direct\n$/);
});

test('UF when the upstream is down: CONNECT answers 503, a direct connection is closed, counted', async () => {
  const { head, socket } = await connectTunnel('dead:9100');
  socket.destroy();
  assert.match(head, /^HTTP\/1\.1 503 /);
  assert.match(head, /x-weft-response-flags: UF/);
  assert.equal(await exchange(SIDECAR, 9100, 'anyone?\n'), '');
  const text = await prometheus(sidecar, SIDECAR);
  assert.equal(metric(text, 'istio_tcp_connections_closed_total', /destination_service="dead\.default\.svc\.cluster\.local"/, /response_flags="UF"/), 2);
  assert.match(text, /envoy_cluster_upstream_cx_connect_fail\{cluster_name="outbound\|9100\|\|dead\.default\.svc\.cluster\.local"\} 2/);
});

test('CONNECT to an unknown host and port passes through (ALLOW_ANY)', async () => {
  const { head, socket, rest } = await connectTunnel(`${V1}:9700`);
  assert.match(head, /^HTTP\/1\.1 200 /);
  socket.end('raw\n');
  assert.equal(await readAll(socket, rest), 'outside raw\n');
});
