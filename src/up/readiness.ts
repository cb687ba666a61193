/**
 * Readiness probes `weft up` uses before it moves on: an HTTP 200 from a proxy's `/healthz/ready`,
 * or a TCP connect to an app's port. Polling stops when the probe passes, the deadline passes, or
 * the caller aborts.
 */
import http from 'node:http';
import net from 'node:net';

/** Polls until `probe` passes; resolves true, or false at the deadline or on abort. */
export async function waitUntilReady(probe: () => Promise<boolean>, opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline && !opts.signal?.aborted) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  return false;
}

/** True when `GET http://host:port/path` answers 200 within a short timeout. */
export function httpOk(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** True when a TCP connection to host:port succeeds. */
export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(1000, () => sock.destroy());
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('close', () => resolve(false));
  });
}
