/**
 * Outbound TCP matching by destination address (issue 12), as istiod builds the chains and Envoy
 * matches them: ServiceEntry CIDR and IPv6 addresses become `prefix_ranges` (Weft used to drop
 * them, so such traffic fell to PassthroughCluster), and a VirtualService `tcp` rule whose match
 * has `destinationSubnets` gets its own chain for those subnets only (Weft's rule used to capture
 * every connection of the host). Weft proxies are explicit: the destination is the CONNECT target.
 *
 * Real sockets: an in-process control plane, one real sidecar, echo upstreams, raw TCP clients
 * through HTTP CONNECT to literal IPv4 and IPv6 addresses.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { startTestProxy } from '../harness/proxy.js';
import { portOf } from '../harness/ports.js';
import { waitUntil } from '../harness/eventually.js';

const SIDECAR = '127.0.216.13';
const DB = '127.0.216.41';
const V6 = '127.0.216.42';
const ALT = '127.0.216.43';
const OUTSIDE = '127.0.216.100';
const PORT = portOf(import.meta.url); // 19420, test/harness/ports.ts

const se = (name: string, host: string, endpoint: string, addresses?: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${host}]
${addresses ? `  addresses: ['${addresses}']\n` : ''}  location: MESH_EXTERNAL
  ports: [{number: ${PORT}, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: ${endpoint}}]
`;

const CONFIG = [
  se('db', 'db.weft.test', DB, '127.0.216.64/28'),
  se('v6', 'v6.weft.test', V6, 'fd00:216::10'),
  se('alt', 'alt.weft.test', ALT),
  `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db-subnets}
spec:
  hosts: [db.weft.test]
  tcp:
  - match: [{destinationSubnets: [127.0.216.80/29]}]
    route: [{destination: {host: alt.weft.test, port: {number: ${PORT}}}}]
`,
].join('---\n');

let controlPlane: TestControlPlane | undefined;
let sidecar: ProxyHandle;
const echoes: net.Server[] = [];

function echo(id: string, host: string): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.setEncoding('utf8');
    s.on('data', (d: string) => s.write(`${id}:${d}`));
    s.on('end', () => s.end());
  });
  echoes.push(server);
  return new Promise((resolve, reject) => server.once('error', reject).listen(PORT, host, () => resolve()));
}

/** CONNECT `target` through the sidecar, send `text`, half-close; resolves with the status line and the reply. */
function viaConnect(target: string, text: string): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sidecar.outboundPort(), SIDECAR, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = '';
    let sent = false;
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${target} within 10 s`)));
    socket.on('data', (d: string) => {
      buf += d;
      if (!sent && buf.includes('\r\n\r\n')) {
        sent = true;
        if (buf.startsWith('HTTP/1.1 200')) socket.end(text);
      }
    });
    socket.on('close', () => {
      const end = buf.indexOf('\r\n\r\n');
      resolve({ status: buf.slice(0, buf.indexOf('\r\n')), body: end >= 0 ? buf.slice(end + 4) : buf });
    });
    socket.on('error', reject);
  });
}

before(async () => {
  await Promise.all([echo('db', DB), echo('v6', V6), echo('alt', ALT), echo('outside', OUTSIDE)]);
  controlPlane = await startTestControlPlane({ files: { 'config.yaml': CONFIG }, tmpPrefix: 'weft-subnets-' });
  sidecar = await startTestProxy(controlPlane, { ip: SIDECAR, pod: 'sleep-0', labels: { app: 'sleep' } });
  for (const h of ['db.weft.test', 'v6.weft.test', 'alt.weft.test']) {
    await waitUntil(() => sidecar.snapshot().clusters.get(`outbound|${PORT}||${h}`)?.hostSet.hosts.length === 1, `endpoints of ${h}`);
  }
});

after(async () => {
  await sidecar?.stop(500);
  await controlPlane?.stop();
  for (const s of echoes) await new Promise<void>((r) => s.close(() => r()));
});

test('ServiceEntry CIDR address: every destination inside the CIDR reaches the service', async () => {
  for (const ip of ['127.0.216.64', '127.0.216.70', '127.0.216.79']) {
    const r = await viaConnect(`${ip}:${PORT}`, 'hi\n');
    assert.match(r.status, /^HTTP\/1\.1 200/, ip);
    assert.equal(r.body, 'db:hi\n', ip);
  }
});

test('ServiceEntry IPv6 address: a connection to it reaches the service', async () => {
  const r = await viaConnect(`[fd00:216::10]:${PORT}`, 'six\n');
  assert.match(r.status, /^HTTP\/1\.1 200/);
  assert.equal(r.body, 'v6:six\n');
});

test('VirtualService tcp destinationSubnets: only destinations in the subnet take the rule', async () => {
  const inSubnet = await viaConnect(`127.0.216.85:${PORT}`, 'sub\n');
  assert.equal(inSubnet.body, 'alt:sub\n', 'the subnet rule routes to alt');
  const inService = await viaConnect(`127.0.216.66:${PORT}`, 'svc\n');
  assert.equal(inService.body, 'db:svc\n', 'the rest of the service keeps its own cluster');
});

test('a destination outside every range falls to PassthroughCluster (the address itself)', async () => {
  const r = await viaConnect(`${OUTSIDE}:${PORT}`, 'out\n');
  assert.equal(r.body, 'outside:out\n');
});
