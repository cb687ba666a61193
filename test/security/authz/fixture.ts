/**
 * Fixture for the authorization end-to-end tests: an in-process control plane (with the mesh CA, so
 * sidecars get SPIFFE identities and talk mTLS) watching a temp directory, real sidecars
 * (`startProxy`) on 127.77.x.y loopback addresses in front of plaintext apps, raw-socket and
 * HTTP helpers. Everything is bounded and stopped by {@link AuthzMesh.stop}. The control plane, the
 * proxies and the polling come from the shared harness (`test/harness/`); this module keeps its API.
 */
import http from 'node:http';
import net from 'node:net';
import type { ControlPlane } from '../../../src/control/control-plane.js';
import { meshConfigWith, type MeshConfig } from '../../../src/config/mesh-config.js';
import type { ProxyHandle } from '../../../src/proxy/proxy.js';
import { startTestControlPlane } from '../../harness/control-plane.js';
import { eventually as pollEventually } from '../../harness/eventually.js';
import { startTestProxy } from '../../harness/proxy.js';
import { viaProxy, type Reply } from '../../harness/http.js';

/** A reply (test/harness/http.ts). */
export type { Reply };

/** One workload: its sidecar, app address and app server. */
export interface Workload {
  readonly name: string;
  readonly ip: string;
  readonly appIp: string;
  readonly proxy: ProxyHandle;
}

/** A running mesh for one test file. */
export interface AuthzMesh {
  readonly dir: string;
  readonly cp: ControlPlane;
  /** Writes (or replaces) a config file in the watched directory. */
  apply(file: string, yaml: string): Promise<void>;
  remove(file: string): Promise<void>;
  /** Starts a sidecar for a workload (its app must listen on `appIp:port`). */
  sidecar(name: string, ip: string, appIp: string, sa: string, labels: Record<string, string>): Promise<Workload>;
  /**
   * Starts an ingress gateway (role gateway, `istio-system`, labels `istio: ingressgateway`, a
   * workload identity so it reaches sidecars over mTLS); its listeners bind free ports on `ip`
   * (`proxy.ports().gateways`).
   */
  gateway(ip: string): Promise<ProxyHandle>;
  /** Registers a server to close on stop. */
  own(server: http.Server): http.Server;
  stop(): Promise<void>;
}

/**
 * Registry YAML for a service whose pods are sidecar'd WorkloadEntries (`tlsMode: istio`); the port
 * is named `portName` (`http` by default, `tcp` for a TCP service).
 */
export function service(name: string, port: number, entries: readonly { ip: string; sa: string; labels?: Record<string, string> }[], sidecar = true, portName = 'http'): string {
  const docs = [`apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: ${name}}\n  ports: [{name: ${portName}, port: ${port}}]\n`];
  entries.forEach((e, i) => {
    const labels = { app: name, ...(sidecar ? { 'security.istio.io/tlsMode': 'istio' } : {}), ...e.labels };
    const l = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ');
    docs.push(`apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ${name}-${i}}\nspec: {address: ${e.ip}, serviceAccount: ${e.sa}, labels: {${l}}, ports: {${portName}: ${port}}}\n`);
  });
  return docs.join('---\n');
}

/** Starts a control plane (with CA) on a temp dir holding `files`. */
export async function startAuthzMesh(files: Record<string, string>, mesh: Partial<MeshConfig> = {}): Promise<AuthzMesh> {
  const harness = await startTestControlPlane({ files, tmpPrefix: 'weft-authz-', ca: true, mesh: meshConfigWith(mesh) });
  const proxies: ProxyHandle[] = [];
  const servers: http.Server[] = [];
  return {
    dir: harness.dir,
    cp: harness.cp,
    apply: harness.apply,
    remove: harness.remove,
    async sidecar(name, ip, appIp, sa, labels) {
      const proxy = await startTestProxy(harness, { ip, pod: `${name}-0`, labels, serviceAccount: sa, appAddress: appIp, identity: true, waitReady: false });
      proxies.push(proxy);
      await proxy.ready();
      return { name, ip, appIp, proxy };
    },
    async gateway(ip) {
      const proxy = await startTestProxy(harness, {
        role: 'gateway', ip, pod: 'istio-ingressgateway-0', namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
        serviceAccount: 'istio-ingressgateway-service-account', identity: true, waitReady: false,
      });
      proxies.push(proxy);
      await proxy.ready();
      return proxy;
    },
    own(server) {
      servers.push(server);
      return server;
    },
    async stop() {
      for (const p of proxies) await p.stop(500).catch(() => undefined);
      for (const s of servers) {
        await new Promise<void>((r) => {
          s.close(() => r());
          s.closeAllConnections();
        });
      }
      await harness.stop();
    },
  };
}

/** Listens an HTTP server on `ip:port`. */
export function listen(server: http.Server, ip: string, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => resolve(server));
  });
}

/** An app answering 200 with JSON {name, method, path, headers}. */
export function echoServer(name: string): http.Server {
  return http.createServer((req, res) => {
    const body = JSON.stringify({ name, method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

/** A request through a sidecar's outbound listener (absolute form, as HTTP_PROXY clients send): `test/harness/http.ts`. */
export function viaSidecar(w: Workload, url: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return viaProxy(w.ip, w.proxy.outboundPort(), url, opts);
}

/** Sends raw bytes on a new connection; resolves with everything read until close (or `ms`). */
export function rawRequest(ip: string, port: number, raw: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, ip);
    let buf = '';
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (d) => (buf += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(buf);
    });
    s.on('error', () => undefined);
    s.write(Buffer.from(raw, 'latin1'));
  });
}

/** The status code of a raw HTTP response (0 when none). */
export function statusOf(raw: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return m ? Number(m[1]) : 0;
}

/** Retries `fn` every 100 ms until `ok` accepts its result (config pushes take a moment), up to `timeoutMs`: `test/harness/eventually.ts`. */
export function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  return pollEventually(fn, ok, what, { timeoutMs, intervalMs: 100 });
}
