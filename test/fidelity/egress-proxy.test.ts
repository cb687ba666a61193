/**
 * Sidecar `outboundTrafficPolicy.egressProxy` (issue 12): under ALLOW_ANY, traffic to destinations
 * the mesh does not know goes to the named egress proxy instead of PassthroughCluster, as istiod
 * builds the catch-all filter chain (listener.go buildOutboundCatchAllNetworkFiltersOnly) and the
 * `allow_any` virtual host (httproute.go) with GetDestinationCluster(egressProxy). The request is
 * forwarded as is (its Host still names the unknown destination). A workload the Sidecar does not
 * select keeps PassthroughCluster. Weft used to ignore egressProxy (WFT0100).
 *
 * Real sockets: an in-process control plane, two real sidecars, an "egress proxy" and an unknown
 * destination as HTTP servers, curl through HTTP_PROXY (`-x`) and through a CONNECT tunnel (`-p -x`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ControlPlane } from '../../src/control/control-plane.js';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';

const SELECTED = '127.0.232.14';
const OTHER = '127.0.232.15';
const EGRESS = '127.0.232.60';
const EGRESS_PORT = 19710;
const UNKNOWN = '127.0.232.70';
const UNKNOWN_PORT = 19711;

const CONFIG = `apiVersion: v1
kind: Service
metadata: {name: egress}
spec: {selector: {app: egress}, ports: [{name: http, port: ${EGRESS_PORT}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: egress-1}
spec: {address: ${EGRESS}, labels: {app: egress}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep-egress-proxy}
spec:
  workloadSelector: {labels: {app: sleep}}
  outboundTrafficPolicy:
    mode: ALLOW_ANY
    egressProxy:
      host: egress.default.svc.cluster.local
      port: {number: ${EGRESS_PORT}}
`;

let dir = '';
let cp: ControlPlane;
const proxies: ProxyHandle[] = [];
const egress = http.createServer((req, res) => res.end(`egress host=${req.headers.host} ${req.url}`));
const unknown = http.createServer((req, res) => res.end(`direct ${req.url}`));

function curl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', ...args],
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout)));
  });
}
const viaHttpProxy = (p: ProxyHandle, ip: string, urlPath: string) => curl(['-x', `http://${ip}:${p.outboundPort()}`, `http://${UNKNOWN}:${UNKNOWN_PORT}${urlPath}`]);
const viaConnect = (p: ProxyHandle, ip: string, urlPath: string) => curl(['-p', '-x', `http://${ip}:${p.outboundPort()}`, `http://${UNKNOWN}:${UNKNOWN_PORT}${urlPath}`]);

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-egress-proxy-'));
  await writeFile(path.join(dir, 'config.yaml'), CONFIG);
  await new Promise<void>((resolve, reject) => egress.once('error', reject).listen(EGRESS_PORT, EGRESS, () => resolve()));
  await new Promise<void>((resolve, reject) => unknown.once('error', reject).listen(UNKNOWN_PORT, UNKNOWN, () => resolve()));
  cp = new ControlPlane({ store: { watchDir: dir, debounceMs: 20 }, insecureXdsPort: 0, httpPort: 0 });
  const { insecureXdsPort: xdsPort } = await cp.start();
  for (const [ip, app] of [[SELECTED, 'sleep'], [OTHER, 'other']] as const) {
    const p = await startProxy({
      role: 'sidecar', ip, podName: `${app}-0`, namespace: 'default', labels: { app },
      xds: `127.0.0.1:${xdsPort}`, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
    });
    proxies.push(p);
    await p.ready();
    await waitUntil(() => p.snapshot().clusters.get(`outbound|${EGRESS_PORT}||egress.default.svc.cluster.local`)?.hostSet.hosts.length === 1, `egress endpoints on ${app}`);
  }
});

after(async () => {
  for (const p of proxies) await p.stop(500);
  await cp?.stop();
  await new Promise<void>((r) => egress.close(() => r()));
  await new Promise<void>((r) => unknown.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('egressProxy: an HTTP request to an unknown destination goes to the egress proxy, Host unchanged', async () => {
  assert.equal(await viaHttpProxy(proxies[0]!, SELECTED, '/a'), `egress host=${UNKNOWN}:${UNKNOWN_PORT} /a 200`);
});

test('egressProxy: a CONNECT tunnel to an unknown destination is carried to the egress proxy', async () => {
  assert.equal(await viaConnect(proxies[0]!, SELECTED, '/b'), `egress host=${UNKNOWN}:${UNKNOWN_PORT} /b 200`);
});

test('egressProxy: a workload the Sidecar does not select still reaches unknown destinations directly', async () => {
  assert.equal(await viaHttpProxy(proxies[1]!, OTHER, '/c'), 'direct /c 200');
  assert.equal(await viaConnect(proxies[1]!, OTHER, '/d'), 'direct /d 200');
});
