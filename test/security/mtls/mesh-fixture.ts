/**
 * Test fixture for the mTLS end-to-end tests: an in-process control plane with the mesh CA (CSR on
 * a free port, in-memory root), real sidecars (`startProxy`) that obtain certificates with bootstrap
 * tokens, plaintext upstream apps that echo what they received, and small HTTP/curl helpers.
 * Everything binds loopback addresses only and is stopped by `stopAll`. The control plane, the
 * sidecars and the polling come from the shared harness (`test/harness/`); this module keeps its API.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { ControlPlane } from '../../../src/control/control-plane.js';
import type { MeshConfig } from '../../../src/config/mesh-config.js';
import type { ProxyHandle, ProxyOptions } from '../../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../../harness/control-plane.js';
import { waitUntil as pollUntil } from '../../harness/eventually.js';
import { startTestProxy } from '../../harness/proxy.js';
import { viaProxy, type Reply } from '../../harness/http.js';

/** A running control plane with its config directory. */
export interface Mesh {
  readonly dir: string;
  readonly cp: ControlPlane;
  readonly xds: string;
  readonly caAddress: string;
  readonly rootCertPem: string;
  /** The plaintext debug xDS address, when started with `insecureXds`. */
  readonly insecureXds?: string;
  /** Writes (or replaces) a config file in the watched directory. */
  apply(file: string, yaml: string): Promise<void>;
  remove(file: string): Promise<void>;
  /** The harness control plane behind this mesh. */
  readonly harness: TestControlPlane;
}

/**
 * Starts a control plane with the CA watching a fresh directory holding `files`; `insecureXds`: the
 * plaintext debug xDS port too (`Mesh.insecureXds`); `log`: the control plane's log lines (default stderr);
 * `meshConfig`: the mesh config (default: Istio's defaults).
 */
export async function startMesh(files: Record<string, string>, opts: { insecureXds?: boolean; log?: (line: string) => void; meshConfig?: MeshConfig } = {}): Promise<Mesh> {
  const harness = await startTestControlPlane({ files, tmpPrefix: 'weft-mtls-', ca: true, insecureXds: opts.insecureXds === true, ...(opts.meshConfig ? { mesh: opts.meshConfig } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const ca = harness.ca!;
  return {
    dir: harness.dir, cp: harness.cp, xds: harness.xds, caAddress: ca.address, rootCertPem: ca.rootCertPem,
    insecureXds: harness.insecureXds,
    apply: harness.apply,
    remove: harness.remove,
    harness,
  };
}

/** Starts a sidecar with a workload identity from the mesh CA. */
export async function startSidecar(mesh: Mesh, o: { ip: string; pod: string; sa: string; labels: Record<string, string>; appAddress?: string; ttlMs?: number; log?: ProxyOptions['log'] }): Promise<ProxyHandle> {
  return startTestProxy(mesh.harness, {
    ip: o.ip, pod: o.pod, labels: o.labels, serviceAccount: o.sa, appAddress: o.appAddress,
    identity: { ttlMs: o.ttlMs }, extra: { log: o.log },
  });
}

/** An app that echoes method, path and headers as JSON, and whether its connection was TLS. */
export function echoApp(address: string, port: number, name: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ name, path: req.url, headers: req.headers, encrypted: (req.socket as { encrypted?: boolean }).encrypted === true });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve(server));
  });
}

/** A reply. */
/** A reply (test/harness/http.ts). */
export type { Reply };

/** GET `url` through a sidecar's outbound listener (absolute form, as HTTP_PROXY clients send): `test/harness/http.ts`. */
export function viaSidecar(proxy: ProxyHandle, ip: string, url: string, agent?: http.Agent): Promise<Reply> {
  return viaProxy(ip, proxy.outboundPort(), url, { agent });
}

/** Runs a command; resolves with exit code and output (never rejects on a non-zero exit). */
export function run(cmd: string, args: readonly string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // A command that exits without reading its stdin (curl) makes the write fail with EPIPE; the exit code
    // and output still tell the result, so the stdin error is not an error of the test.
    child.stdin?.on('error', ignoreStdinError);
    child.stdin?.end(input);
  });
}

/** Polls `cond` every 50 ms (up to 10 s): `test/harness/eventually.ts`. */
export function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  return pollUntil(cond, what, { timeoutMs, intervalMs: 50 });
}

/** Fetches a proxy admin path as text. */
export async function admin(proxy: ProxyHandle, ip: string, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: ip, port: proxy.adminPort, path: p, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The value of an Envoy `/stats` line (`name: value`), 0 when absent. */
export async function stat(proxy: ProxyHandle, ip: string, name: string): Promise<number> {
  const text = await admin(proxy, ip, '/stats');
  const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
  return line ? Number(line.slice(name.length + 2)) : 0;
}

/** Closes servers and removes the directory. */
export async function stopAll(mesh: Mesh | undefined, proxies: readonly (ProxyHandle | undefined)[], servers: readonly { close(cb?: () => void): unknown; closeAllConnections?: () => void }[]): Promise<void> {
  for (const p of proxies) await p?.stop(500).catch(() => undefined);
  for (const s of servers) {
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections?.();
    });
  }
  await mesh?.harness.stop();
}

/** Swallows EPIPE/ECONNRESET on a child's stdin (it exited before reading); rethrows anything else. */
function ignoreStdinError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
}
