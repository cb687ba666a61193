/**
 * nginx instances of the proxy benchmark, each with its own temp config, pid file and logs, as one
 * process: `daemon off; master_process off` — the spawned process is the single worker itself, so
 * it is stopped by its PID and dies with the benchmark (a master's workers would outlive a killed
 * master). One event loop on one core, as `worker_processes 1` gives:
 * - the upstream: a static 1 KiB body on 127.0.0.0/8;
 * - the reference reverse proxy: keep-alive upstream pool in front of the upstream.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import type { Child, ProcessGroup } from './processes.js';

/** A running nginx. */
export interface NginxInstance {
  readonly child: Child;
  readonly host: string;
  readonly port: number;
  /** The nginx.conf used (for the report). */
  readonly config: string;
}

/** The body nginx serves: 1 KiB. */
export const BODY_PATH = '/1k.html';
const BODY = 'x'.repeat(1023) + '\n';

function common(dir: string): string {
  return `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
`;
}

/** nginx.conf of the upstream: static 1 KiB body at {@link BODY_PATH}. */
export function upstreamConfig(dir: string, host: string, port: number): string {
  return `${common(dir)}  default_type text/html;
  server {
    listen ${host}:${port} reuseport;
    root ${dir}/www;
  }
}
`;
}

/** nginx.conf of the reference reverse proxy (keep-alive upstream pool, HTTP/1.1 to the upstream). */
export function reverseProxyConfig(dir: string, host: string, port: number, upstream: string): string {
  return `${common(dir)}  upstream backend {
    server ${upstream};
    keepalive 128;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
  }
  server {
    listen ${host}:${port} reuseport;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
}

/** Waits until `host:port` accepts TCP connections. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Starts nginx with `config` written to `dir/nginx.conf` (dir is made world-readable for the worker). */
export async function startNginx(group: ProcessGroup, dir: string, host: string, port: number, config: string, cores: string | undefined, name: string): Promise<NginxInstance> {
  mkdirSync(path.join(dir, 'www'), { recursive: true });
  writeFileSync(path.join(dir, 'www', BODY_PATH.slice(1)), BODY);
  // nginx's worker runs as `nobody`: it must read the body through the temp dir.
  chmodSync(dir, 0o755);
  chmodSync(path.join(dir, 'www'), 0o755);
  chmodSync(path.join(dir, 'www', BODY_PATH.slice(1)), 0o644);
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child = group.start('nginx', ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', file], { cores, name });
  await Promise.race([
    waitForPort(host, port, 10_000),
    child.exited.then((code) => {
      throw new Error(`${name} exited (${code}): ${child.output().slice(-1000)}`);
    }),
  ]);
  return { child, host, port, config };
}

/** A free TCP port on `host` (bound and released; the tiny race is acceptable on loopback). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
