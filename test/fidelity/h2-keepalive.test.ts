/**
 * End to end: DestinationRule `connectionPool.http.http2KeepAlive` {interval, timeout} through a
 * real sidecar to HTTP/2 (h2c) upstreams: the sidecar PINGs its upstream HTTP/2 connection every
 * interval (Envoy `http2_protocol_options.connection_keepalive`), and closes a connection whose
 * PING is not answered within the timeout (here: a relay in front of the upstream stops forwarding),
 * after which the next request opens a new connection and succeeds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { Mesh, waitUntil } from '../resilience/harness.js';

const mesh = new Mesh('127.209.0.1');
const H2 = { address: '127.209.2.1', port: 19270 };
const RELAY = { address: '127.209.2.2', port: 19271 };
let pings = 0;
const server = http2.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('h2');
});
server.on('session', (s) => s.on('ping', () => pings++));

/** A TCP relay to the HTTP/2 server that can stop forwarding (a peer that hangs without closing). */
class Relay {
  frozen = false;
  readonly clients = new Set<net.Socket>();
  readonly server = net.createServer((client) => {
    this.clients.add(client);
    const up = net.connect(H2.port, H2.address);
    client.on('data', (d) => { if (!this.frozen) up.write(d); });
    up.on('data', (d) => { if (!this.frozen) client.write(d); });
    const close = (): void => {
      this.clients.delete(client);
      client.destroy();
      up.destroy();
    };
    client.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  });
}
const relay = new Relay();

const svc = (name: string, port: number, address: string) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${name}}, ports: [{name: http2, port: ${port}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}-0}
spec: {address: ${address}, labels: {app: ${name}}, ports: {http2: ${port}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}}
spec:
  host: ${name}
  trafficPolicy:
    connectionPool:
      http:
        http2KeepAlive: {interval: 0.2s, timeout: 0.5s}
`;

before(async () => {
  await new Promise<void>((r) => server.listen(H2.port, H2.address, r));
  await new Promise<void>((r) => relay.server.listen(RELAY.port, RELAY.address, r));
  await mesh.start({ 'h2.yaml': [svc('h2ka', H2.port, H2.address), svc('h2hang', RELAY.port, RELAY.address)].join('---\n') }, []);
  await mesh.waitForHosts(`outbound|${H2.port}||h2ka.default.svc.cluster.local`, 1);
  await mesh.waitForHosts(`outbound|${RELAY.port}||h2hang.default.svc.cluster.local`, 1);
});

after(async () => {
  await mesh.stop();
  for (const c of relay.clients) c.destroy();
  await new Promise<void>((r) => relay.server.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

test('http2KeepAlive: the sidecar PINGs its upstream HTTP/2 connection every interval', async () => {
  const r = await mesh.request(`http://h2ka:${H2.port}/`);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'h2');
  const before = pings;
  await waitUntil(() => pings - before >= 3, 'three PINGs on the idle upstream connection');
});

test('http2KeepAlive: an unanswered PING closes the upstream connection within the timeout; the next request reconnects', async () => {
  assert.equal((await mesh.request(`http://h2hang:${RELAY.port}/`)).status, 200);
  assert.equal(relay.clients.size, 1, 'one upstream HTTP/2 connection through the relay');
  const [conn] = [...relay.clients];
  relay.frozen = true;
  await waitUntil(() => conn!.destroyed, 'the sidecar to close the connection whose PING went unanswered');
  relay.frozen = false;
  const r = await mesh.request(`http://h2hang:${RELAY.port}/`);
  assert.equal(r.status, 200, 'a new connection serves the next request');
  assert.equal(relay.clients.size, 1);
});
