/**
 * Runs wrk and reads its result from a Lua `done()` hook that prints one JSON line: requests,
 * duration, errors, non-2xx responses and latency percentiles in microseconds (wrk's own
 * histogram, so no parsing of its human-readable table).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToCompletion, type ProcessGroup } from './processes.js';

/** One wrk run. */
export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly errors: number;
  readonly non2xx: number;
  /** Latency percentiles, milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Options of one wrk run. */
export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly seconds: number;
  /** Extra request headers, e.g. `Host: direct:8080`. */
  readonly headers?: readonly string[];
  readonly cores?: string;
}

const SCRIPT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

/** Writes the Lua hook into `dir` and returns its path. */
export function writeWrkScript(dir: string): string {
  const file = path.join(dir, 'report.lua');
  writeFileSync(file, SCRIPT);
  return file;
}

/** The wrk command line of a run (for the report). */
export function wrkArgs(o: WrkOptions, script: string): string[] {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '5s', '-s', script];
  for (const h of o.headers ?? []) args.push('-H', h);
  args.push(o.url);
  return args;
}

/** Runs wrk and parses the JSON line. */
export async function runWrk(group: ProcessGroup, o: WrkOptions, script: string): Promise<WrkResult> {
  const out = await runToCompletion('wrk', wrkArgs(o, script), (o.seconds + 30) * 1000, group, o.cores);
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const j = JSON.parse(line.slice(8)) as { requests: number; duration_us: number; errors: number; non2xx: number; p50: number; p90: number; p99: number; max: number };
  const seconds = j.duration_us / 1e6;
  return {
    requests: j.requests,
    seconds,
    rps: j.requests / seconds,
    errors: j.errors,
    non2xx: j.non2xx,
    p50: j.p50 / 1000,
    p90: j.p90 / 1000,
    p99: j.p99 / 1000,
    max: j.max / 1000,
  };
}
