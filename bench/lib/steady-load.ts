/**
 * Steady load for reliability tests: `weft load` (the project's fortio-compatible load generator)
 * in its own process at a fixed rate, so the test's own event loop never skews the count. The
 * result is fortio's JSON, reduced to what "zero failed requests" needs: total calls and the
 * calls per status code (-1 is a connection error or timeout, as fortio counts).
 */
import { spawn } from 'node:child_process';
import { WEFT_BIN } from './weft-process.js';

/** What a steady load saw. */
export interface SteadyLoadResult {
  /** Calls made. */
  readonly calls: number;
  /** Calls by status code ("-1" for connection errors and timeouts). */
  readonly codes: Readonly<Record<string, number>>;
  /** Calls that did not get a 2xx. */
  readonly failed: number;
  /** The generator's stderr (its summary and any error), for assertion messages. */
  readonly log: string;
}

/** A load running in the background; `done` resolves when its duration has passed. */
export interface SteadyLoad {
  readonly done: Promise<SteadyLoadResult>;
  /** Stops the generator early (its partial result is lost). */
  kill(): void;
  /** Ends the load now, as Ctrl-C ends fortio's: `done` resolves with the calls made so far. */
  finish(): void;
}

/** Options of a steady load. */
export interface SteadyLoadOptions {
  /** Requests per second (open loop, default 200). */
  readonly qps?: number;
  /** Connections (default 8). */
  readonly connections?: number;
  /** Duration in seconds. */
  readonly seconds: number;
  /** Extra request headers, e.g. `{ host: 'web' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout (default `3s`). */
  readonly timeout?: string;
}

/** Starts `weft load -qps N -t Ss -json - URL` and parses what it reports. */
export function startSteadyLoad(url: string, options: SteadyLoadOptions): SteadyLoad {
  const args = [
    WEFT_BIN, 'load', '-qps', String(options.qps ?? 200), '-c', String(options.connections ?? 8), '-t', `${options.seconds}s`,
    '-timeout', options.timeout ?? '3s', '-allow-initial-errors', '-json', '-',
  ];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<SteadyLoadResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const start = out.indexOf('{');
      if (start < 0) return reject(new Error(`weft load exited ${code} without a result:\n${err}`));
      let json: { RetCodes?: Record<string, number> };
      try {
        json = JSON.parse(out.slice(start)) as { RetCodes?: Record<string, number> };
      } catch (e) {
        return reject(new Error(`weft load printed no JSON result (${(e as Error).message}):\n${err}`));
      }
      const codes = json.RetCodes ?? {};
      const calls = Object.values(codes).reduce((a, b) => a + b, 0);
      const ok = Object.entries(codes).filter(([c]) => /^2\d\d$/.test(c)).reduce((a, [, n]) => a + n, 0);
      resolve({ calls, codes, failed: calls - ok, log: err });
    });
  });
  return { done, kill: () => child.kill('SIGKILL'), finish: () => child.kill('SIGINT') };
}
