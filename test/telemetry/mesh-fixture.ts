/**
 * Test mesh for the telemetry end-to-end tests, all in one process on loopback: a control plane with
 * the mesh CA (mesh config chosen by the test), an ingress gateway proxy, a server sidecar in front
 * of an echo app (`web`, port 9080, WorkloadEntry with `tlsMode: istio`, so proxies talk mTLS), and
 * a client sidecar (`sleep`) used as an HTTP proxy. Addresses are `<prefix>.1`…`<prefix>.5`.
 * `stop()` stops everything it started. The control plane, the proxies and the polling come from the
 * shared harness (`test/harness/`); this module keeps its API.
 */
import http from 'node:http';
import type { ControlPlane } from '../../src/control/control-plane.js';
import { meshConfigWith, type MeshConfig } from '../../src/config/mesh-config.js';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startTestControlPlane } from '../harness/control-plane.js';
import { waitUntil as pollUntil } from '../harness/eventually.js';
import { startTestProxy } from '../harness/proxy.js';
import { httpRequest, type Reply } from '../harness/http.js';

/** A running test mesh. */
export interface TelemetryMesh {
  readonly dir: string;
  readonly cp: ControlPlane;
  readonly cpHttpPort: number;
  readonly gateway: ProxyHandle;
  readonly server: ProxyHandle;
  readonly client: ProxyHandle;
  readonly ips: { readonly gateway: string; readonly server: string; readonly app: string; readonly client: string };
  /** Bound port of the gateway's HTTP listener. */
  readonly gatewayPort: number;
  /** Headers the app received, newest last. */
  readonly seen: http.IncomingHttpHeaders[];
  stop(): Promise<void>;
}

const config = (ip: (n: number) => string) => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-v1, namespace: default}
spec: {address: ${ip(2)}, serviceAccount: web, labels: {app: web, version: v1, security.istio.io/tlsMode: istio}, ports: {http: 9080}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /web}}]
    route: [{destination: {host: web, port: {number: 9080}}}]
`;

/** Sends a GET; resolves with status, headers and body (never rejects on HTTP errors): `test/harness/http.ts`. */
export function request(host: string, port: number, pathOrUrl: string, headers: Record<string, string> = {}): Promise<Reply> {
  return httpRequest({ host, port, path: pathOrUrl, headers });
}

/** Polls `cond` every 50 ms up to `ms`: `test/harness/eventually.ts`. */
export function waitUntil(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  return pollUntil(cond, what, { timeoutMs: ms, intervalMs: 50 });
}

/** Starts the mesh on `<prefix>.N` addresses with `mesh` config overrides. */
export async function startTelemetryMesh(prefix: string, mesh: Partial<MeshConfig> = {}): Promise<TelemetryMesh> {
  const ip = (n: number) => `${prefix}.${n}`;
  const harness = await startTestControlPlane({ files: { 'config.yaml': config(ip) }, tmpPrefix: 'weft-telemetry-', ca: true, mesh: meshConfigWith(mesh) });
  const { dir, cp, httpPort } = harness;
  const proxies: ProxyHandle[] = [];
  const servers: http.Server[] = [];
  const seen: http.IncomingHttpHeaders[] = [];
  const stop = async () => {
    for (const p of proxies) await p.stop(300).catch(() => undefined);
    for (const s of servers) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
    await harness.stop();
  };
  try {
    const start = async (o: { role: 'sidecar' | 'gateway'; ip: string; pod: string; ns: string; sa: string; labels: Record<string, string>; appAddress?: string; workload?: string }) => {
      const p = await startTestProxy(harness, {
        role: o.role, ip: o.ip, pod: o.pod, namespace: o.ns, labels: o.labels, serviceAccount: o.sa, appAddress: o.appAddress, workloadName: o.workload,
        identity: true, waitReady: false,
      });
      proxies.push(p);
      return p;
    };
    const app = http.createServer((req, res) => {
      seen.push({ ...req.headers });
      const body = JSON.stringify({ path: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    servers.push(app);
    await new Promise<void>((resolve, reject) => { app.once('error', reject); app.listen(9080, ip(3), () => resolve()); });
    const server = await start({ role: 'sidecar', ip: ip(2), pod: 'web-v1-0', ns: 'default', sa: 'web', labels: { app: 'web', version: 'v1', 'security.istio.io/tlsMode': 'istio' }, appAddress: ip(3), workload: 'web-v1' });
    const client = await start({ role: 'sidecar', ip: ip(4), pod: 'sleep-0', ns: 'default', sa: 'sleep', labels: { app: 'sleep' }, workload: 'sleep' });
    const gateway = await start({ role: 'gateway', ip: ip(1), pod: 'istio-ingressgateway-0', ns: 'istio-system', sa: 'istio-ingressgateway-service-account', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' }, workload: 'istio-ingressgateway' });
    await Promise.all([server.ready(), client.ready(), gateway.ready()]);
    const hasWeb = (p: ProxyHandle) => p.snapshot().clusters.get('outbound|9080||web.default.svc.cluster.local')?.hostSet.hosts.length === 1;
    await waitUntil(() => hasWeb(client) && hasWeb(gateway) && gateway.ports().gateways.size > 0 && server.ports().inbound.size > 0, 'mesh config');
    const gatewayPort = [...gateway.ports().gateways.values()][0]!;
    await waitUntil(async () => (await request(ip(1), gatewayPort, '/web/warmup', { host: 'web.example' }).catch(() => ({ status: 0 }))).status === 200, 'gateway → web');
    return { dir, cp, cpHttpPort: httpPort, gateway, server, client, ips: { gateway: ip(1), server: ip(2), app: ip(3), client: ip(4) }, gatewayPort, seen, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
