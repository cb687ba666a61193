/**
 * The load engine behind `weft load`, usable on its own by tests and benchmarks:
 * `runLoad(options)` opens `connections` keep-alive connections (the warm-up: sockets are
 * connected before the clock starts, no request is sent), then hands out requests from a
 * {@link LoadSchedule} to whichever connection is free and records every call's latency,
 * status and sizes. Open-loop latency counts from the request's intended start time, so a
 * server that stalls is charged for the queue it causes (see schedule.ts).
 */
import type { LookupAddress } from 'node:dns';
import dns from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LoadConnection, type CallOutcome } from './connection.js';
import { Histogram } from './histogram.js';
import { buildRequest } from './request.js';
import { LoadSchedule } from './schedule.js';
import { resolveTarget } from './target.js';
import { WeftError } from '../util/weft-error.js';

/** How early (ms) an open-loop request may be sent to make up for timer granularity. */
const TIMER_LEAD_MS = 1;

/** What to run. */
export interface LoadOptions {
  /** URL to load (`http://`, `https://`, or `host:port/path` meaning http). */
  readonly url: string;
  /** Total requests per second; 0 or negative = as fast as possible (closed loop). Default 8. */
  readonly qps?: number;
  /** Concurrent connections. Default 8. */
  readonly connections?: number;
  /** Exact number of requests; overrides `durationMs`. */
  readonly totalCalls?: number;
  /** Run length in ms (no call starts after it; calls in flight end by response or `timeoutMs`); 0 = until `signal` aborts. Default 5000. */
  readonly durationMs?: number;
  /** `Name: value` headers (a `Host` header overrides the URL's authority). */
  readonly headers?: readonly string[];
  /** Method; default POST with a payload, GET without. */
  readonly method?: string;
  /** Request body. */
  readonly payload?: Uint8Array;
  /** Per-request timeout in ms, from send to complete response (connect included). Default 3000. */
  readonly timeoutMs?: number;
  /** Reuse connections (default true); false sends `Connection: close` and reconnects every time. */
  readonly keepAlive?: boolean;
  /** Honour HTTP_PROXY / NO_PROXY from `env` for http:// URLs. Default false. */
  readonly useEnvProxy?: boolean;
  /** Environment for the proxy settings (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Skip TLS certificate verification. */
  readonly insecure?: boolean;
  /** User-Agent unless a header sets one. */
  readonly userAgent?: string;
  /** Stops the run early; calls in flight still complete (or time out). */
  readonly signal?: AbortSignal;
  /** Called about every `progressIntervalMs` while running. */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Default 500 ms. */
  readonly progressIntervalMs?: number;
  /** Called once, after warm-up, just before the first request. */
  readonly onStart?: (plan: LoadPlan) => void;
}

/** A snapshot while running. */
export interface LoadProgress {
  readonly elapsedMs: number;
  readonly calls: number;
  /** Calls without a 2xx response so far. */
  readonly errors: number;
  /** Requests the run will make, when known. */
  readonly plannedCalls?: number;
}

/** What a run is about to do (known once the target is resolved and connections are warm). */
export interface LoadPlan {
  readonly url: string;
  readonly method: string;
  /** Resolved IPs of the host connected to (the proxy's, through a proxy). */
  readonly addresses: readonly string[];
  readonly proxy?: string;
  /** 'open' for a constant rate, 'closed' for as fast as possible. */
  readonly mode: 'open' | 'closed';
  /** Requested rate; 0 means as fast as possible. */
  readonly requestedQps: number;
  /** Requested run length when time-limited (0 = until stopped), undefined with `totalCalls`. */
  readonly requestedDurationMs?: number;
  readonly requestedCalls?: number;
  /** Requests planned in advance, when known. */
  readonly plannedCalls?: number;
  readonly connections: number;
}

/** Everything a run measured. Durations are recorded in nanoseconds. */
export interface LoadResult extends LoadPlan {
  readonly startTime: Date;
  readonly keepAlive: boolean;
  readonly timeoutMs: number;
  /** Connections that connected during warm-up. */
  readonly warmupConnections: number;
  readonly actualDurationMs: number;
  readonly calls: number;
  readonly actualQps: number;
  /** Latency of every call (ns), merged over connections. */
  readonly durations: Histogram;
  /** Latency of calls without a 2xx response (ns). */
  readonly errorDurations: Histogram;
  /** How late each send was against the open-loop timetable (ns); empty in closed loop. */
  readonly startDelays: Histogram;
  readonly headerSizes: Histogram;
  /** Response sizes on the wire, head included. */
  readonly totalSizes: Histogram;
  /** Status → count; -1 for calls with no complete response. */
  readonly retCodes: ReadonlyMap<number, number>;
  /** Reason → count for status -1. */
  readonly errorReasons: ReadonlyMap<string, number>;
  readonly socketCount: number;
  readonly socketsPerConnection: readonly number[];
  readonly callsPerConnection: readonly number[];
  /** True when `signal` stopped the run before its planned end. */
  readonly aborted: boolean;
}

/** A run that cannot start. Codes: `LOAD_BAD_OPTIONS`, `LOAD_RESOLVE_FAILED`. */
export class LoadError extends WeftError {
  /** Stable error code. */
  readonly code: 'LOAD_BAD_OPTIONS' | 'LOAD_RESOLVE_FAILED';
  constructor(code: 'LOAD_BAD_OPTIONS' | 'LOAD_RESOLVE_FAILED', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoadError';
    this.code = code;
  }
}

/** Calls that count as successes: 2xx responses. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/**
 * Runs a load test to completion. Throws {@link LoadError}, TargetError (bad URL or proxy) or
 * HeaderError (bad header) before any request is sent; request failures are results, not errors.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const qps = options.qps ?? 8;
  const c = options.connections ?? 8;
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!Number.isInteger(c) || c < 1) throw new LoadError('LOAD_BAD_OPTIONS', `connections must be a positive integer, got ${c}`);
  if (!Number.isFinite(qps)) throw new LoadError('LOAD_BAD_OPTIONS', `qps must be a number, got ${qps}`);
  if (!(timeoutMs > 0)) throw new LoadError('LOAD_BAD_OPTIONS', `timeout must be positive, got ${timeoutMs}`);
  const totalCalls = options.totalCalls !== undefined && options.totalCalls > 0 ? Math.floor(options.totalCalls) : undefined;
  const durationMs = totalCalls === undefined ? (options.durationMs ?? 5000) : undefined;
  if (durationMs !== undefined && !(durationMs >= 0)) throw new LoadError('LOAD_BAD_OPTIONS', `duration must not be negative, got ${durationMs}`);

  const target = resolveTarget(options.url, { useEnvProxy: options.useEnvProxy, env: options.env ?? process.env });
  const request = buildRequest({ target, method: options.method, headers: options.headers, payload: options.payload, keepAlive: options.keepAlive, userAgent: options.userAgent });
  let addresses: LookupAddress[] = [{ address: target.connectHost, family: net.isIP(target.connectHost) }];
  if (!net.isIP(target.connectHost)) {
    try {
      addresses = await dns.lookup(target.connectHost, { all: true });
    } catch (err) {
      throw new LoadError('LOAD_RESOLVE_FAILED', `cannot resolve ${target.connectHost}: ${(err as Error).message}`, { cause: err });
    }
    if (addresses.length === 0) throw new LoadError('LOAD_RESOLVE_FAILED', `cannot resolve ${target.connectHost}: no addresses`);
  }

  const keepAlive = options.keepAlive !== false;
  const conns = Array.from({ length: c }, () => new LoadConnection({ target, addresses, request, keepAlive, insecure: options.insecure }));
  const warm = await Promise.all(conns.map((conn) => conn.warmUp(timeoutMs)));
  const schedule = new LoadSchedule({ qps, durationMs, totalCalls });

  const durations = conns.map(() => new Histogram());
  const errorDurations = new Histogram();
  const startDelays = new Histogram();
  const headerSizes = new Histogram();
  const totalSizes = new Histogram();
  const retCodes = new Map<number, number>();
  const errorReasons = new Map<string, number>();
  const callsPerConnection = conns.map(() => 0);
  let calls = 0;
  let errors = 0;
  let aborted = false;

  const plan: LoadPlan = {
    url: target.url.href,
    method: request.method,
    addresses: addresses.map((a) => a.address),
    proxy: target.proxy,
    mode: schedule.open ? 'open' : 'closed',
    requestedQps: qps > 0 ? qps : 0,
    requestedDurationMs: durationMs,
    requestedCalls: totalCalls,
    plannedCalls: schedule.plannedCalls,
    connections: c,
  };
  try {
    options.onStart?.(plan);
  } catch (err) {
    for (const conn of conns) conn.close();
    throw err;
  }
  const startTime = new Date();
  const t0 = performance.now();

  return new Promise<LoadResult>((resolve) => {
    const free: number[] = conns.map((_, i) => i);
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    let stopRequested = false;

    const record = (i: number, o: CallOutcome, latencyMs: number) => {
      const ns = Math.round(latencyMs * 1e6);
      durations[i]!.record(ns);
      if (!isSuccess(o.status)) {
        errorDurations.record(ns);
        errors++;
      }
      retCodes.set(o.status, (retCodes.get(o.status) ?? 0) + 1);
      if (o.error) errorReasons.set(o.error, (errorReasons.get(o.error) ?? 0) + 1);
      headerSizes.record(o.headerBytes);
      totalSizes.record(o.totalBytes);
      callsPerConnection[i]!++;
      calls++;
    };

    const dispatch = () => {
      // -t bounds the run as fortio's periodic runner does: no call starts once the duration has
      // passed, even an open-loop one still owed by the timetable (a hanging server would
      // otherwise stretch the run to planned calls × timeout / connections); calls in flight end
      // by themselves (response or timeout) and are counted.
      if (durationMs && !schedule.finished && performance.now() - t0 >= durationMs) schedule.stop();
      while (free.length > 0 && !finished) {
        // Timers fire up to ~1 ms late, so look that far ahead: a request may leave up to
        // TIMER_LEAD_MS before its slot (its latency then counts from the actual send).
        const ahead = performance.now() - t0 + (schedule.open ? TIMER_LEAD_MS : 0);
        const step = schedule.take(ahead);
        if (step.kind === 'done') break;
        if (step.kind === 'wait') {
          if (!timer) timer = setTimeout(onTimer, Math.max(0, step.untilMs - ahead));
          return;
        }
        const i = free.shift()!;
        const intended = t0 + step.intendedMs;
        const sent = performance.now();
        if (schedule.open) startDelays.record(Math.max(0, Math.round((sent - intended) * 1e6)));
        // Latency counts from the intended start, or from the send when the timer fired early.
        const from = Math.min(intended, sent);
        conns[i]!.send((o) => {
          record(i, o, performance.now() - from);
          free.push(i);
          dispatch();
        });
      }
      if (schedule.finished && free.length === c) {
        // A time-limited open-loop run lasts its full duration even when the last response came early.
        const endAt = schedule.open && durationMs && !stopRequested ? t0 + durationMs : 0;
        const wait = endAt - performance.now();
        if (wait > 1) {
          if (!timer) timer = setTimeout(onTimer, wait);
        } else finish();
      }
    };

    const onTimer = () => {
      timer = undefined;
      dispatch();
    };

    const sweepEvery = Math.min(100, Math.max(5, timeoutMs / 10));
    const progressEvery = options.progressIntervalMs ?? 500;
    let lastProgress = t0;
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const conn of conns) conn.expire(now, timeoutMs);
      if (options.onProgress && now - lastProgress >= progressEvery) {
        lastProgress = now;
        options.onProgress({ elapsedMs: now - t0, calls, errors, plannedCalls: schedule.plannedCalls });
      }
    }, sweepEvery);

    const onAbort = () => {
      stopRequested = true;
      if (!schedule.finished) aborted = true;
      schedule.stop();
      if (timer) clearTimeout(timer);
      timer = undefined;
      dispatch();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(sweep);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const conn of conns) conn.close();
      const merged = new Histogram();
      for (const h of durations) merged.merge(h);
      // The run ends here: right after the last response, or at the end of an open-loop timetable.
      const actualDurationMs = performance.now() - t0;
      resolve({
        ...plan,
        startTime,
        keepAlive,
        timeoutMs,
        warmupConnections: warm.filter(Boolean).length,
        actualDurationMs,
        calls,
        actualQps: actualDurationMs > 0 ? (calls * 1000) / actualDurationMs : 0,
        durations: merged,
        errorDurations,
        startDelays,
        headerSizes,
        totalSizes,
        retCodes,
        errorReasons,
        socketCount: conns.reduce((n, conn) => n + conn.socketsOpened, 0),
        socketsPerConnection: conns.map((conn) => conn.socketsOpened),
        callsPerConnection,
        aborted,
      });
    }

    dispatch();
  });
}
