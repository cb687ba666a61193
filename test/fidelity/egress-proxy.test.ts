/**
 * Sidecar `outboundTrafficPolicy.egressProxy` (issue 12): under ALLOW_ANY, traffic to destinations
 * the mesh does not know goes to the named egress proxy instead of PassthroughCluster, as istiod
 * builds the catch-all filter chain (listener.go buildOutboundCatchAllNetworkFiltersOnly) and the
 * `allow_any` virtual host (httproute.go) with GetDestinationCluster(egressProxy). The request is
 * forwarded as is (its Host still names the unknown destination). A workload the Sidecar does not
 * select keeps PassthroughCluster. Weft used to ignore egressProxy (WFT0100).
 *
 * Real sockets: an in-process control plane with the mesh CA (the shared mTLS mesh fixture), two real sidecars, an "egress proxy" and an unknown
 * destination as HTTP servers, curl through HTTP_PROXY (`-x`) and through a CONNECT tunnel (`-p -x`).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { run, startMesh, startSidecar, stopAll, waitUntil, type Mesh } from '../security/mtls/mesh-fixture.js';

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

let mesh: Mesh;
const proxies: ProxyHandle[] = [];
const egress = http.createServer((req, res) => res.end(`egress host=${req.headers.host} ${req.url}`));
const unknown = http.createServer((req, res) => res.end(`direct ${req.url}`));

async function curl(args: readonly string[]): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', ' %{http_code}', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
const viaHttpProxy = (p: ProxyHandle, ip: string, urlPath: string) => curl(['-x', `http://${ip}:${p.outboundPort()}`, `http://${UNKNOWN}:${UNKNOWN_PORT}${urlPath}`]);
const viaConnect = (p: ProxyHandle, ip: string, urlPath: string) => curl(['-p', '-x', `http://${ip}:${p.outboundPort()}`, `http://${UNKNOWN}:${UNKNOWN_PORT}${urlPath}`]);

before(async () => {
  await new Promise<void>((resolve, reject) => egress.once('error', reject).listen(EGRESS_PORT, EGRESS, () => resolve()));
  await new Promise<void>((resolve, reject) => unknown.once('error', reject).listen(UNKNOWN_PORT, UNKNOWN, () => resolve()));
  mesh = await startMesh({ 'config.yaml': CONFIG });
  for (const [ip, app] of [[SELECTED, 'sleep'], [OTHER, 'other']] as const) {
    const p = await startSidecar(mesh, { ip, pod: `${app}-0`, sa: app, labels: { app } });
    proxies.push(p);
    await waitUntil(() => p.snapshot().clusters.get(`outbound|${EGRESS_PORT}||egress.default.svc.cluster.local`)?.hostSet.hosts.length === 1, `egress endpoints on ${app}`);
  }
});

after(async () => {
  await stopAll(mesh, proxies, [egress, unknown]);
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
