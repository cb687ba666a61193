/**
 * TLS ServiceEntry hosts without a VirtualService (issue 12): istiod gives each TLS/HTTPS service
 * without a VIP and without a `tls` route its own filter chain matched by SNI = its hostname
 * (pilot/pkg/networking/core `buildSidecarOutboundTLSFilterChainOpts`), so each host reaches its
 * own cluster. Weft used to skip such services when several shared a port, and the traffic fell to
 * PassthroughCluster (the original destination, here unresolvable).
 *
 * Real sockets: an in-process control plane, one real sidecar, two TLS upstreams on one port (the
 * first serves two hosts of one ServiceEntry, the second the host of another), curl and
 * `openssl s_client` through CONNECT and through the sidecar's per-port listener (SNI only).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { ControlPlane } from '../../src/control/control-plane.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { issue, makeCa, run, type CertFiles } from '../security/gateway-tls/fixture.js';
import { portOf } from '../harness/ports.js';
import { waitUntil } from '../harness/eventually.js';

const SIDECAR = '127.0.216.12';
const E1 = '127.0.216.31';
const E2 = '127.0.216.32';
const PORT = portOf(import.meta.url); // 19460, test/harness/ports.ts

const CONFIG = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ab}
spec:
  hosts: [a.weft.test, b.weft.test]
  location: MESH_EXTERNAL
  ports: [{number: ${PORT}, name: tls, protocol: TLS}]
  resolution: STATIC
  endpoints: [{address: ${E1}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: c}
spec:
  hosts: [c.weft.test]
  location: MESH_EXTERNAL
  ports: [{number: ${PORT}, name: https, protocol: HTTPS}]
  resolution: STATIC
  endpoints: [{address: ${E2}}]
`;

let dir = '';
let cp: ControlPlane;
let sidecar: ProxyHandle;
let ca: CertFiles;
const servers: https.Server[] = [];

async function tlsServer(id: string, host: string, names: readonly string[]): Promise<void> {
  const contexts = new Map<string, tls.SecureContext>();
  let first: CertFiles | undefined;
  for (const n of names) {
    const c = issue(dir, ca, n, n, 'weft-test');
    first ??= c;
    contexts.set(n, tls.createSecureContext({ cert: await readFile(c.cert), key: await readFile(c.key) }));
  }
  const server = https.createServer({
    cert: await readFile(first!.cert), key: await readFile(first!.key),
    SNICallback: (name, cb) => cb(null, contexts.get(name)),
  }, (req, res) => res.end(`${id} ${(req.socket as tls.TLSSocket).servername}`));
  servers.push(server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(PORT, host, () => resolve()));
}

function curlVia(host: string, extra: readonly string[]): Promise<string> {
  return run('curl', ['-sS', '--max-time', '10', '--cacert', ca.cert, ...extra, `https://${host}:${PORT}/`]).then((r) => (r.code === 0 ? r.stdout : `curl failed (${r.code}): ${r.stderr.trim()}`));
}
const viaConnect = (host: string) => curlVia(host, ['-p', '-x', `http://${SIDECAR}:${sidecar.outboundPort()}`]);
const viaPortListener = (host: string) => curlVia(host, ['--connect-to', `${host}:${PORT}:${SIDECAR}:${PORT}`]);

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-sni-'));
  ca = makeCa(dir);
  await tlsServer('e1', E1, ['a.weft.test', 'b.weft.test']);
  await tlsServer('e2', E2, ['c.weft.test']);
  await writeFile(path.join(dir, 'config.yaml'), CONFIG);
  cp = new ControlPlane({ store: { watchDir: dir, debounceMs: 20 }, insecureXdsPort: 0, httpPort: 0 });
  const { insecureXdsPort: xdsPort } = await cp.start();
  sidecar = await startProxy({
    role: 'sidecar', ip: SIDECAR, podName: 'sleep-0', namespace: 'default', labels: { app: 'sleep' },
    xds: `127.0.0.1:${xdsPort}`, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
  });
  await sidecar.ready();
  await waitUntil(() => sidecar.snapshot().clusters.get(`outbound|${PORT}||c.weft.test`)?.hostSet.hosts.length === 1, 'endpoints');
  await waitUntil(() => sidecar.ports().tcp.has(`outbound:${PORT}`), 'the per-port outbound listener');
});

after(async () => {
  await sidecar?.stop(500);
  await cp?.stop();
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('TLS ServiceEntry hosts without a VirtualService: each host reaches its own upstream through CONNECT', async () => {
  assert.equal(await viaConnect('a.weft.test'), 'e1 a.weft.test');
  assert.equal(await viaConnect('b.weft.test'), 'e1 b.weft.test');
  assert.equal(await viaConnect('c.weft.test'), 'e2 c.weft.test');
});

test('TLS ServiceEntry hosts without a VirtualService: the per-port listener picks the chain by SNI alone', async () => {
  assert.equal(await viaPortListener('b.weft.test'), 'e1 b.weft.test');
  assert.equal(await viaPortListener('c.weft.test'), 'e2 c.weft.test');
  assert.equal(await viaPortListener('a.weft.test'), 'e1 a.weft.test');
});

test('TLS ServiceEntry hosts: openssl s_client through the sidecar sees the certificate of the host it named', async () => {
  const r = await run('openssl', ['s_client', '-proxy', `${SIDECAR}:${sidecar.outboundPort()}`, '-connect', `c.weft.test:${PORT}`, '-servername', 'c.weft.test', '-CAfile', ca.cert, '-verify_return_error'], 'Q\n');
  assert.match(r.stdout, /subject=CN = c\.weft\.test/);
  assert.match(r.stdout, /Verify return code: 0 \(ok\)/);
});
