/**
 * A proxy's xDS connection survives its certificate's rotation and expiry: the sidecar gets 5 s
 * certificates and dials the control plane through a TCP relay this test owns. Once the first
 * certificate has expired (and been replaced), the relay cuts every connection, so the proxy must
 * open a new TLS connection; the control plane only accepts a valid, current workload certificate,
 * so the proxy resyncs only if its channel credentials followed the rotation. A config change made
 * after the cut must reach it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { startMesh, stopAll, waitUntil, type Mesh } from './mtls/mesh-fixture.js';

const IP = '127.0.0.111';
const TTL_MS = 5000;
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

const service = (name: string, port: number) => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}}]
`;

let mesh: Mesh;
let proxy: ProxyHandle | undefined;
let relay: net.Server;
const relayed = new Set<net.Socket>();
let connections = 0;
const refusals: string[] = [];

before(async () => {
  mesh = await startMesh({ 'a.yaml': service('alpha', 8101) }, { log: (l) => refusals.push(l) });
  const [host, port] = [mesh.xds.split(':')[0]!, Number(mesh.xds.split(':')[1])];
  relay = net.createServer((down) => {
    connections++;
    const up = net.connect({ host, port });
    relayed.add(down).add(up);
    const close = () => {
      down.destroy();
      up.destroy();
      relayed.delete(down);
      relayed.delete(up);
    };
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  const token = await mesh.cp.ca!.mintToken('default', 'rotator');
  proxy = await startProxy({
    role: 'sidecar', ip: IP, podName: 'rotator-0', namespace: 'default', labels: { app: 'rotator' }, serviceAccount: 'rotator',
    xds: `127.0.0.1:${(relay.address() as net.AddressInfo).port}`, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
    identity: { caAddress: mesh.caAddress, rootCertPem: mesh.rootCertPem, token, ttlMs: TTL_MS },
  });
  await proxy.ready();
});

after(async () => {
  for (const s of relayed) s.destroy();
  await new Promise<void>((r) => relay?.close(() => r()));
  await stopAll(mesh, [proxy], []);
});

const hasCluster = (name: string) => [...(proxy!.ads.resources(CDS).keys())].some((k) => k.includes(name));

test('after its first certificate expired, a cut xDS connection reconnects with the rotated certificate and receives new config', { timeout: 30_000 }, async () => {
  const first = proxy!.tls.secrets.workloadCertificate()!;
  assert.ok(hasCluster('alpha.default.svc.cluster.local'), 'initial config arrived over the relay');
  // Wait until the first certificate is past its notAfter and a renewal happened.
  await waitUntil(() => Date.now() > first.notAfter.getTime() + 500 && proxy!.tls.identity!.renewals >= 1, 'first certificate expired and renewed', 15_000);
  assert.notEqual(proxy!.tls.secrets.workloadCertificate()!.serial, first.serial);
  const before = connections;
  for (const s of relayed) s.destroy();
  await mesh.apply('b.yaml', service('bravo', 8102));
  await waitUntil(() => hasCluster('bravo.default.svc.cluster.local'), 'config pushed after the reconnect', 10_000);
  assert.ok(connections > before, 'the proxy opened a new connection to the control plane');
  assert.deepEqual(refusals.filter((l) => /refused/.test(l)), [], 'the control plane refused no stream');
});
