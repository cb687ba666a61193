/**
 * Benchmark (issue 4): `/productpage` through Weft's ingress gateway under `weft up samples/bookinfo`
 * (productpage → details + reviews v1, every hop through sidecars with mTLS) against the same apps
 * run directly without sidecars, loaded with `weft load`'s engine (closed loop, 16 connections).
 * Also records how long `weft up samples/bookinfo` takes to serve the page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from '../src/load/runner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEFT = path.join(ROOT, 'bin', 'weft.js');
const APPS = path.join(ROOT, 'dist', 'samples', 'bookinfo');

/** Figures of one path. */
export interface PathFigures {
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly errors: number;
}

/** Result of the Bookinfo benchmark. */
export interface BookinfoBenchResult {
  readonly direct: PathFigures;
  readonly mesh: PathFigures;
  /** Seconds from starting `weft up samples/bookinfo` to the first 200 for /productpage through the gateway. */
  readonly upToFirstPageSeconds: number;
  readonly seconds: number;
  readonly connections: number;
}

function figures(r: LoadResult): PathFigures {
  const ok = r.retCodes.get(200) ?? 0;
  return {
    rps: r.actualQps,
    p50ms: r.durations.valueAtPercentile(50) / 1e6,
    p99ms: r.durations.valueAtPercentile(99) / 1e6,
    errors: r.calls - ok,
  };
}

function start(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function waitFor200(url: string, limitMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status === 200) return (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer 200 within ${limitMs} ms`);
}

async function load(url: string, seconds: number, connections: number): Promise<LoadResult> {
  await runLoad({ url, qps: 0, connections, durationMs: 3000, timeoutMs: 10_000 }); // warm-up
  return runLoad({ url, qps: 0, connections, durationMs: seconds * 1000, timeoutMs: 10_000 });
}

/** Runs both paths, one after the other, on loopback. */
export async function runBookinfoBench(seconds = 10, connections = 16): Promise<BookinfoBenchResult> {
  const children: ChildProcess[] = [];
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-bench-bookinfo-'));
  try {
    // Direct: the same apps, no sidecars (Istio's apps take <NAME>_HOSTNAME / _SERVICE_PORT).
    const base = { HOST: '127.0.0.1' };
    children.push(start([path.join(APPS, 'details', 'main.js')], { ...base, PORT: '19181' }));
    children.push(start([path.join(APPS, 'reviews', 'main.js')], { ...base, PORT: '19182', SERVICE_VERSION: 'v1', ENABLE_RATINGS: 'false', POD_NAME: 'reviews-v1-0' }));
    children.push(start([path.join(APPS, 'productpage', 'main.js')], {
      ...base, PORT: '19183', DETAILS_HOSTNAME: '127.0.0.1', DETAILS_SERVICE_PORT: '19181', REVIEWS_HOSTNAME: '127.0.0.1', REVIEWS_SERVICE_PORT: '19182',
      RATINGS_HOSTNAME: '127.0.0.1', RATINGS_SERVICE_PORT: '19184',
    }));
    await waitFor200('http://127.0.0.1:19183/productpage', 30_000);
    const direct = figures(await load('http://127.0.0.1:19183/productpage', seconds, connections));
    for (const c of children.splice(0)) await stop(c);

    // Through the mesh: weft up samples/bookinfo, reviews pinned to v1 as above.
    const started = performance.now();
    const up = start([WEFT, 'up', 'samples/bookinfo', '--state', state, '--http-port', '19080', '--xds-port', '19010', '--api-port', '19014', '--ca-port', '19012', '--pod-net', '120'], {});
    children.push(up);
    await waitFor200('http://127.0.0.1:19080/productpage', 120_000);
    const upToFirstPageSeconds = (performance.now() - started) / 1000;
    const applied = spawn(process.execPath, [WEFT, 'apply', '-f', 'samples/tasks/bookinfo/virtual-service-all-v1.yaml', '--server', 'http://127.0.0.1:19014'], { cwd: ROOT, stdio: 'ignore' });
    await new Promise((r) => applied.once('exit', r));
    await new Promise((r) => setTimeout(r, 2000));
    const mesh = figures(await load('http://127.0.0.1:19080/productpage', seconds, connections));
    return { direct, mesh, upToFirstPageSeconds, seconds, connections };
  } finally {
    for (const c of children) await stop(c);
    await rm(state, { recursive: true, force: true });
  }
}

/** Markdown section body. */
export function bookinfoReport(r: BookinfoBenchResult, machine: string): string {
  const row = (name: string, f: PathFigures) => `| ${name} | ${f.rps.toFixed(0)} | ${f.p50ms.toFixed(2)} | ${f.p99ms.toFixed(2)} | ${f.errors} |`;
  return `Command: \`npm run bench -- bookinfo\` (bench/bookinfo-bench.ts). Machine: ${machine}.
Closed loop (\`weft load\`'s engine, \`-qps 0 -c ${r.connections}\`), ${r.seconds} s after 3 s of warm-up, GET /productpage
(productpage → details and reviews v1). Direct: the apps on 127.0.0.1 without sidecars. Mesh:
\`weft up samples/bookinfo\` (STRICT mTLS, gateway → productpage sidecar → details/reviews sidecars),
\`virtual-service-all-v1.yaml\` applied.

| path | requests/s | p50 (ms) | p99 (ms) | non-200 |
| --- | --- | --- | --- | --- |
${row('apps called directly', r.direct)}
${row('through the Weft gateway and sidecars', r.mesh)}

Ratio mesh ÷ direct: throughput ${(r.mesh.rps / r.direct.rps).toFixed(2)} ×, p50 ${(r.mesh.p50ms / r.direct.p50ms).toFixed(2)} ×.
\`weft up samples/bookinfo\` to the first 200 for /productpage through the gateway: ${r.upToFirstPageSeconds.toFixed(1)} s (design budget: 5 s).`;
}
