/**
 * Test helpers for the sample apps: run a compiled sample (`dist/samples/…/main.js`) as a child
 * process on loopback with `HOST`/`PORT` and without any proxy, read the address it printed, and
 * stop it by PID. Also: a check that the samples are compiled, plain HTTP calls, in-process
 * stand-in servers that record what they receive, and star counting for productpage HTML.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/weft-process.js';

/** Where the compiled samples are. */
export const SAMPLES_DIST = path.join(REPO_ROOT, 'dist', 'samples');
/** The entry points of every sample app. */
const MAINS = ['bookinfo/productpage', 'bookinfo/details', 'bookinfo/reviews', 'bookinfo/ratings', 'httpbin', 'sleep', 'tcp-echo'].map((d) => path.join(SAMPLES_DIST, d, 'main.js'));

/** Fails early, with the fix, when the samples have not been compiled (`npx tsc -p .` compiles them into dist/samples). */
export async function ensureSamplesBuilt(): Promise<void> {
  const missing = MAINS.filter((m) => !existsSync(m));
  if (missing.length > 0) throw new Error(`compile the samples first (npx tsc -p .): missing ${missing.join(', ')}`);
}

/** A running sample app. */
export interface SampleProcess {
  readonly child: ChildProcess;
  /** `http://HOST:PORT` of an HTTP app (the first listener). */
  readonly url: string;
  readonly host: string;
  /** Every port the app printed as listening, in order. */
  readonly ports: readonly number[];
  /** stdout and stderr so far. */
  output(): string;
  /** Waits until the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code and signal; SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<SampleProcess>();

/** Options of {@link startSample}. */
export interface StartOptions {
  /** Extra environment (HOST and PORT default to 127.0.0.1 and 0). */
  readonly env?: Record<string, string>;
  readonly args?: readonly string[];
  /** How many "listening on" lines to wait for (default 1). */
  readonly listeners?: number;
  /** Wait for this instead of "listening on" (for apps that do not listen). */
  readonly ready?: RegExp;
}

/** Starts `dist/samples/<rel>` and waits until it listens. */
export async function startSample(rel: string, options: StartOptions = {}): Promise<SampleProcess> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...options.env };
  const child = spawn(process.execPath, [path.join(SAMPLES_DIST, rel), ...(options.args ?? [])], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  const waitFor = (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = out.match(pattern);
        if (m) finish(() => resolve(m));
        else if (done) finish(() => reject(new Error(`${rel} exited before printing ${pattern}:\n${out}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${rel}: no ${pattern} within ${timeoutMs} ms:\n${out}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  const wanted = options.listeners ?? 1;
  const listening = new RegExp(Array.from({ length: wanted }, () => 'listening on (?:http://)?[\\d.]+:\\d+').join('[^]*?'));
  await waitFor(options.ready ?? listening);
  const ports = [...out.matchAll(/listening on (?:http:\/\/)?[\d.]+:(\d+)/g)].map((m) => Number(m[1]));
  const host = /listening on (?:http:\/\/)?([\d.]+):/.exec(out)?.[1] ?? env.HOST!;
  const proc: SampleProcess = {
    child,
    url: `http://${host}:${ports[0]}`,
    host,
    ports,
    output: () => out,
    waitFor,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      running.delete(proc);
      if (!done) child.kill(signal);
      const kill = setTimeout(() => {
        if (!done) child.kill('SIGKILL');
      }, 10_000);
      const r = await exited;
      clearTimeout(kill);
      return r;
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every sample process still running. */
export async function stopAllSamples(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A plain HTTP response. */
export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Sends one request (no keep-alive) and reads the whole response. */
export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${url}: no response within 30 s`)));
    req.end(options.body);
  });
}

/** A request a stand-in received. */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** An in-process HTTP server that records requests and answers with `handler`. */
export interface StandIn {
  readonly url: string;
  readonly port: number;
  readonly requests: Recorded[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a stand-in on 127.0.0.1 (free port). */
export async function startStandIn(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<StandIn> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Counts the filled and empty stars of each colour in productpage HTML. */
export function countStars(html: string): { black: number; red: number; blackEmpty: number; redEmpty: number; total: number } {
  const n = (re: RegExp): number => (html.match(re) ?? []).length;
  const black = n(/<span class="glyphicon glyphicon-star" data-star-color="black"><\/span>/g);
  const red = n(/<span class="glyphicon glyphicon-star" data-star-color="red"><\/span>/g);
  const blackEmpty = n(/<span class="glyphicon glyphicon-star-empty" data-star-color="black"><\/span>/g);
  const redEmpty = n(/<span class="glyphicon glyphicon-star-empty" data-star-color="red"><\/span>/g);
  return { black, red, blackEmpty, redEmpty, total: n(/glyphicon-star/g) };
}
