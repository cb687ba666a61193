/**
 * Test fixture for the mTLS end-to-end tests: an in-process control plane with the mesh CA (CSR on
 * a free port, in-memory root), real sidecars (`startProxy`) that obtain certificates with bootstrap
 * tokens, plaintext upstream apps that echo what they received, and small HTTP/curl helpers.
 * Everything binds loopback addresses only and is stopped by `stopAll`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ControlPlane } from '../../../src/control/control-plane.js';
import type { MeshConfig } from '../../../src/config/mesh-config.js';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../../../src/proxy/proxy.js';

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
}

/**
 * Starts a control plane with the CA watching a fresh directory holding `files`; `insecureXds`: the
 * plaintext debug xDS port too (`Mesh.insecureXds`); `log`: the control plane's log lines (default stderr);
 * `meshConfig`: the mesh config (default: Istio's defaults).
 */
export async function startMesh(files: Record<string, string>, opts: { insecureXds?: boolean; log?: (line: string) => void; meshConfig?: MeshConfig } = {}): Promise<Mesh> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-mtls-'));
  for (const [f, y] of Object.entries(files)) await writeFile(path.join(dir, f), y);
  const cp = new ControlPlane({ store: { watchDir: dir, debounceMs: 20 }, httpPort: 0, ca: { port: 0 }, ...(opts.insecureXds ? { insecureXdsPort: 0 } : {}), ...(opts.meshConfig ? { meshConfig: opts.meshConfig } : {}), log: opts.log });
  const { xdsPort, insecureXdsPort } = await cp.start();
  const ca = cp.ca!;
  return {
    dir, cp, xds: `127.0.0.1:${xdsPort}`, caAddress: `127.0.0.1:${ca.port}`, rootCertPem: ca.rootCertPem,
    insecureXds: insecureXdsPort !== undefined ? `127.0.0.1:${insecureXdsPort}` : undefined,
    apply: (f, y) => writeFile(path.join(dir, f), y),
    remove: (f) => unlink(path.join(dir, f)).catch(() => undefined),
  };
}

/** Starts a sidecar with a workload identity from the mesh CA. */
export async function startSidecar(mesh: Mesh, o: { ip: string; pod: string; sa: string; labels: Record<string, string>; appAddress?: string; ttlMs?: number; log?: ProxyOptions['log'] }): Promise<ProxyHandle> {
  const token = await mesh.cp.ca!.mintToken('default', o.sa);
  const p = await startProxy({
    role: 'sidecar', ip: o.ip, podName: o.pod, namespace: 'default', labels: o.labels, serviceAccount: o.sa, appAddress: o.appAddress,
    xds: mesh.xds, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0, log: o.log,
    identity: { caAddress: mesh.caAddress, rootCertPem: mesh.rootCertPem, token, ttlMs: o.ttlMs },
  });
  await p.ready();
  return p;
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
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** GET `url` through a sidecar's outbound listener (absolute form, as HTTP_PROXY clients send). */
export function viaSidecar(proxy: ProxyHandle, ip: string, url: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: ip, port: proxy.outboundPort(), method: 'GET', path: url, headers: { host: u.host }, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
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

/** Polls `cond` every 50 ms (up to 10 s). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
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
  await mesh?.cp.stop();
  if (mesh) await rm(mesh.dir, { recursive: true, force: true });
}

/** Swallows EPIPE/ECONNRESET on a child's stdin (it exited before reading); rethrows anything else. */
function ignoreStdinError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
}
