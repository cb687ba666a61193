/**
 * Child process of the proxy benchmark: a constant-rate (open-loop) load for latency at a fixed
 * rate, since wrk has no constant-rate mode. Uses Weft's own load engine (`runLoad` from
 * src/load/runner.ts, the engine of `weft load -qps N`) when it is present; otherwise a small
 * keep-alive client below. Options as JSON in argv[2]; prints one line `RATE {json}`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** Options from the parent. */
export interface RateOptions {
  readonly url: string;
  readonly headers: readonly string[];
  readonly qps: number;
  readonly connections: number;
  readonly seconds: number;
}

/** The `RATE` line's payload (milliseconds). */
export interface RateResult {
  readonly engine: string;
  readonly calls: number;
  readonly errors: number;
  readonly actualQps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** p99 of how late sends left against the timetable (client-side scheduling lag). */
  readonly sendLagP99: number;
}

interface HistogramLike {
  readonly count: number;
  readonly max: number;
  valueAtPercentile(p: number): number;
}
interface LoadResultLike {
  readonly calls: number;
  readonly actualQps: number;
  readonly durations: HistogramLike;
  readonly errorDurations: HistogramLike;
  readonly startDelays: HistogramLike;
}
type RunLoad = (o: { url: string; qps: number; connections: number; durationMs: number; headers: readonly string[]; method: string }) => Promise<LoadResultLike>;

async function weftLoad(o: RateOptions): Promise<RateResult | undefined> {
  let runLoad: RunLoad | undefined;
  try {
    // Resolved at run time: src/load is developed in parallel and may be absent.
    const mod = (await import(new URL('../src/load/runner.js', import.meta.url).href)) as { runLoad?: RunLoad };
    runLoad = mod.runLoad;
  } catch {
    return undefined;
  }
  if (typeof runLoad !== 'function') return undefined;
  const r = await runLoad({ url: o.url, qps: o.qps, connections: o.connections, durationMs: o.seconds * 1000, headers: o.headers, method: 'GET' });
  const ms = (ns: number) => ns / 1e6;
  return {
    engine: '`runLoad` (src/load/runner.ts, the engine of `weft load`)',
    calls: r.calls,
    errors: r.errorDurations.count,
    actualQps: r.actualQps,
    p50: ms(r.durations.valueAtPercentile(50)),
    p90: ms(r.durations.valueAtPercentile(90)),
    p99: ms(r.durations.valueAtPercentile(99)),
    max: ms(r.durations.max),
    sendLagP99: ms(r.startDelays.valueAtPercentile(99)),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Fallback: open loop over a keep-alive node:http Agent; latency from the actual send. */
async function ownClient(o: RateOptions): Promise<RateResult> {
  const url = new URL(o.url);
  const headers: Record<string, string> = {};
  for (const h of o.headers) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  const total = Math.round(o.qps * o.seconds);
  const lat = new Float64Array(total);
  const lag = new Float64Array(total);
  let done = 0;
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const fire = () => {
      const now = performance.now();
      while (next < total && t0 + (next * 1000) / o.qps <= now + 1) {
        const i = next++;
        const sent = performance.now();
        lag[i] = Math.max(0, sent - (t0 + (i * 1000) / o.qps));
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers, agent }, (res) => {
          res.resume();
          res.on('end', () => {
            lat[i] = performance.now() - sent;
            if (res.statusCode !== 200) errors++;
            if (++done === total) resolve();
          });
        });
        req.on('error', () => {
          lat[i] = performance.now() - sent;
          errors++;
          if (++done === total) resolve();
        });
        req.end();
      }
      if (next < total) setTimeout(fire, Math.max(0, t0 + (next * 1000) / o.qps - performance.now() - 1));
    };
    fire();
  });
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort();
  lag.sort();
  return {
    engine: 'bench constant-rate client (node:http keep-alive)',
    calls: total,
    errors,
    actualQps: total / elapsed,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1] ?? 0,
    sendLagP99: percentile(lag, 99),
  };
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as RateOptions;
  const r = process.env['WEFT_BENCH_OWN_RATE_CLIENT'] ? undefined : await weftLoad(o);
  process.stdout.write(`RATE ${JSON.stringify(r ?? (await ownClient(o)))}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`rate-child failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
