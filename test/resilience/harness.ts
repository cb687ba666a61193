/**
 * Test support for the resilience end-to-end tests: an in-process control plane watching a temp
 * directory of Istio YAML, upstream HTTP servers on loopback addresses whose behaviour a test
 * chooses per request (status, reset, hang, truncated body, invalid HTTP, delay), a real sidecar
 * (`startProxy`) used as an HTTP proxy, and helpers to send requests through it and read its stats.
 * Everything started is stopped by {@link Mesh.stop}. Waits are bounded; no timing assertions here.
 * The control plane, the sidecar and the polling come from the shared harness (`test/harness/`).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ControlPlane } from '../../src/control/control-plane.js';
import type { ProxyHandle, ProxyOptions } from '../../src/proxy/proxy.js';
import { startTestControlPlane, type TestControlPlane } from '../harness/control-plane.js';
import { sleep, waitUntil as pollUntil } from '../harness/eventually.js';
import { startTestProxy } from '../harness/proxy.js';

export { sleep };

/** What an upstream does with one request. */
export type Behaviour = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

/** Replies `status` with a small JSON body naming the upstream. */
export const reply = (status: number, extra: Record<string, string> = {}): Behaviour => (req, res) => {
  const body = JSON.stringify({ status, host: req.headers.host ?? null, attempt: req.headers['x-envoy-attempt-count'] ?? null });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
};
/** Resets the connection without answering. */
export const reset: Behaviour = (req) => req.socket.destroy();
/** Never answers (until the test stops the server). */
export const hang: Behaviour = () => undefined;
/** Sends headers announcing 1000 bytes, 10 bytes of body, then closes. */
export const truncated: Behaviour = (_req, res) => {
  res.writeHead(200, { 'content-length': 1000 });
  res.write('0123456789');
  setTimeout(() => res.socket?.destroy(), 20);
};
/** Writes bytes that are not an HTTP response, then closes. */
export const invalidHttp: Behaviour = (req) => {
  req.socket.end('HTTP/1.1 abc not-a-status\r\n\r\n');
};
/** Answers `status` after `ms`. */
export const delayed = (ms: number, status = 200): Behaviour => (req, res) => {
  setTimeout(() => reply(status)(req, res, 0), ms);
};

/** One upstream server on `address:port`. */
export class Upstream {
  /** Requests seen (all of them, whatever the behaviour). */
  count = 0;
  /** Host headers seen, in order. */
  readonly hosts: string[] = [];
  /** Attempt-count headers seen, in order. */
  readonly attempts: string[] = [];
  /** Request bodies seen (when `recordBodies`). */
  readonly bodies: string[] = [];
  recordBodies = false;
  behaviour: Behaviour = reply(200);
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(readonly address: string, readonly port: number) {
    this.server = http.createServer((req, res) => {
      const n = ++this.count;
      this.hosts.push(req.headers.host ?? '');
      this.attempts.push(String(req.headers['x-envoy-attempt-count'] ?? ''));
      if (this.recordBodies) {
        let b = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => (b += d));
        req.on('end', () => {
          this.bodies.push(b);
          this.behaviour(req, res, n);
        });
        return;
      }
      req.resume();
      this.behaviour(req, res, n);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.address, () => resolve(this));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}

/** A reply seen by the test client. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** Control plane + sidecar + upstreams for one test file. */
export class Mesh {
  dir = '';
  cp: ControlPlane | undefined;
  private controlPlane: TestControlPlane | undefined;
  proxy!: ProxyHandle;
  readonly upstreams: Upstream[] = [];
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(readonly sidecarIp: string) {}

  /** Writes the config files, starts the control plane, upstreams and the sidecar (with `proxyOptions` added). */
  async start(files: Record<string, string>, upstreams: readonly Upstream[], proxyOptions: Partial<ProxyOptions> = {}): Promise<void> {
    this.controlPlane = await startTestControlPlane({ files, tmpPrefix: 'weft-resilience-' });
    this.dir = this.controlPlane.dir;
    this.cp = this.controlPlane.cp;
    for (const u of upstreams) this.upstreams.push(await u.listen());
    this.proxy = await startTestProxy(this.controlPlane, { ip: this.sidecarIp, pod: 'client-0', labels: { app: 'client', version: 'v1' }, extra: proxyOptions });
  }

  /** Waits until the named cluster has `n` hosts. */
  async waitForHosts(cluster: string, n: number): Promise<void> {
    await waitUntil(() => this.proxy.snapshot().clusters.get(cluster)?.hostSet.hosts.length === n, `${n} hosts in ${cluster}`);
  }

  /** Sends a request through the sidecar as an HTTP_PROXY client does. */
  request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; abortAfterMs?: number } = {}): Promise<Reply> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const headers: Record<string, string | number> = { host: u.host, ...opts.headers };
      if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
      const req = http.request({ host: this.sidecarIp, port: this.proxy.outboundPort(), method: opts.method ?? 'GET', path: url, headers, agent: this.agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (opts.abortAfterMs !== undefined) setTimeout(() => req.destroy(new Error('client aborted')), opts.abortAfterMs);
      req.end(opts.body);
    });
  }

  /** The sidecar's `/stats` text. */
  stats(): Promise<string> {
    return get(`http://${this.sidecarIp}:${this.proxy.adminPort}/stats`);
  }

  /** The value of one `/stats` line (0 when absent). */
  async stat(name: string): Promise<number> {
    const text = await this.stats();
    const line = text.split('\n').find((l) => l.startsWith(`${name}: `));
    return line === undefined ? 0 : Number(line.slice(name.length + 2));
  }

  /** Sum of `istio_requests_total` children with the given response flags. */
  async requestsWithFlags(flags: string): Promise<number> {
    const text = await get(`http://${this.sidecarIp}:${this.proxy.prometheusPort}/stats/prometheus`);
    let n = 0;
    for (const line of text.split('\n')) if (line.startsWith('istio_requests_total{') && line.includes(`response_flags="${flags}"`)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
    return n;
  }

  /** Stops the sidecar, control plane and upstreams and removes the temp directory. */
  async stop(): Promise<void> {
    this.agent.destroy();
    await this.proxy?.stop(500);
    await this.controlPlane?.stop();
    for (const u of this.upstreams) await u.close();
  }
}

/** GET a URL's body. */
export function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

/** Polls `cond` every 25 ms, `tries` times (~10 s): `test/harness/eventually.ts` with this file's old limits. */
export function waitUntil(cond: () => boolean | Promise<boolean>, what: string, tries = 400): Promise<void> {
  return pollUntil(cond, what, { tries, intervalMs: 25, timeoutMs: Infinity });
}

/** A Service + one WorkloadEntry per address, all on `port`. */
export function service(name: string, port: number, addresses: readonly string[], extraLabels: readonly Record<string, string>[] = []): string {
  const docs = [`apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}}]`];
  addresses.forEach((a, i) => {
    const labels = { app: name, ...(extraLabels[i] ?? {}) };
    const l = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ');
    docs.push(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}-${i}}
spec: {address: ${a}, labels: {${l}}, ports: {http: ${port}}}`);
  });
  return docs.join('\n---\n') + '\n';
}
