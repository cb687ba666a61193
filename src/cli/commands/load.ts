/**
 * `weft load`: fortio load's equivalent. Same flags (`-qps`, `-c`, `-n`, `-t`, `-H`, `-payload`,
 * `-payload-size`, `-X`, `-json`, `-timeout`, `-p`, `-keepalive`, `-allow-initial-errors`) and the
 * same summary, with HdrHistogram-accurate percentiles and an open-loop constant rate free of
 * coordinated omission. The engine is src/load/runner.ts; formatting is src/load/report.ts.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { boolFlag, listFlag, numberFlag, stringFlag, type ParsedArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { parseDuration } from '../../load/duration.js';
import { HeaderError } from '../../load/request.js';
import { DEFAULT_PERCENTILES, formatStart, formatSummary, toFortioJson, type ReportContext } from '../../load/report.js';
import { LoadError, isSuccess, runLoad, type LoadOptions, type LoadProgress } from '../../load/runner.js';
import { TargetError } from '../../load/target.js';

const VERSION = '0.1.0';

const DESCRIPTION = `Sends HTTP/1.1 requests to URL and prints fortio's summary: calls and qps, latency
statistics, percentiles (seconds), status codes ("Code 200 : 17 (85.0 %)"; Code -1 counts
connection errors and timeouts), sockets used, response sizes.

Rate: -qps 0 (or negative) is a closed loop: each of the -c connections sends its next request as
soon as the previous one completes. -qps N > 0 is an open loop: request j is scheduled at j/N
seconds after the start, whichever connection is free sends it, and its latency counts from that
scheduled start, not from when it was actually sent, so a stalling server is charged for the
queue it causes (no coordinated omission, as wrk2).

Connections are opened before the clock starts (the "warmup" in the last line); no warm-up
request is sent, so the server sees exactly the counted calls. -t bounds the run as fortio's
does: no call starts after it (even one an open-loop timetable still owes), and the calls in
flight then end with their response or -timeout, so a run lasts at most -t plus -timeout.
-n N overrides -t; whichever connection is free makes the next call. A payload (-payload or -payload-size) makes the request
a POST unless -X says otherwise. HTTP_PROXY / NO_PROXY are ignored unless -proxy
(--use-env-proxy) is given; then http:// URLs go through the proxy (https connects directly).

Exit status: 0; 1 when no call got a 2xx response (unless -allow-initial-errors); 2 on usage errors.

Examples:
  weft load -qps 0 -c 16 -t 10s http://127.0.0.1:8080/
  weft load -c 3 -qps 0 -n 30 -H 'Host: httpbin' http://127.0.0.1:8080/get
  weft load -qps 100 -t 30s -json result.json http://127.0.0.1:8080/`;

/** The `load` command. */
export const loadCommand: Command = {
  name: 'load',
  summary: "Generate HTTP load and report latency percentiles (fortio load's flags and summary)",
  usage: "weft load [-qps N] [-c N] [-n N | -t DUR] [-H 'K: V']... [-payload-size B] [-payload STR] [-X METHOD] [-json FILE|-] [-timeout DUR] [-allow-initial-errors] [-p LIST] [-keepalive=false] [-proxy] URL",
  description: DESCRIPTION,
  flags: [
    { name: 'qps', type: 'number', description: 'total queries per second; 0 or negative = as fast as possible', default: 8 },
    { name: 'c', type: 'number', description: 'number of connections (fortio\'s "threads")', default: 8 },
    { name: 'n', type: 'number', description: 'exact number of calls in total (overrides -t)' },
    { name: 't', type: 'string', valueName: 'DUR', description: 'how long to run (5s, 1m, 250ms); 0 = until interrupted', default: '5s' },
    { name: 'H', type: 'string', multiple: true, valueName: "'K: V'", description: "extra request header, repeatable; 'Host: x' overrides the Host header" },
    { name: 'payload', type: 'string', valueName: 'STR', description: 'request body (makes the request a POST)' },
    { name: 'payload-size', type: 'number', valueName: 'B', description: 'random request body of B bytes, replaces -payload' },
    { name: 'X', type: 'string', valueName: 'METHOD', description: 'HTTP method (default GET, or POST with a payload)' },
    { name: 'json', type: 'string', valueName: 'FILE|-', description: "write fortio's JSON result to FILE, or to stdout with - (the text summary then goes to stderr)" },
    { name: 'timeout', type: 'string', valueName: 'DUR', description: 'per-request timeout, connect included; a timed-out call counts as Code -1', default: '3s' },
    { name: 'allow-initial-errors', type: 'boolean', description: 'exit 0 even when no call succeeded' },
    { name: 'p', type: 'string', valueName: 'LIST', description: 'percentiles to report', default: '50,75,90,99,99.9' },
    { name: 'keepalive', type: 'boolean', description: 'reuse connections; -keepalive=false opens one per call', default: true },
    { name: 'proxy', aliases: ['use-env-proxy'], type: 'boolean', description: 'send http:// requests through HTTP_PROXY/http_proxy (NO_PROXY honoured); off by default' },
    { name: 'k', type: 'boolean', description: 'https: do not verify the server certificate' },
    { name: 'labels', type: 'string', description: 'free text stored as Labels in the JSON result' },
  ],
  async run(args, io) {
    const options = loadOptions(args, io);
    const jsonTarget = stringFlag(args, 'json');
    const summaryOut = jsonTarget === '-' ? io.stderr : io.stdout;
    const ctx: ReportContext = { version: VERSION, procs: os.availableParallelism(), percentiles: parsePercentiles(stringFlag(args, 'p') ?? '') };
    const labels = stringFlag(args, 'labels');
    const progress = progressWriter(io);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    let result;
    try {
      result = await runLoad({
        ...options,
        signal: controller.signal,
        onStart: (plan) => summaryOut.write(formatStart(plan, ctx)),
        onProgress: progress?.update,
      });
    } catch (err) {
      throw toCliError(err);
    } finally {
      process.off('SIGINT', onSignal);
      progress?.clear();
    }
    summaryOut.write(formatSummary(result, ctx));
    if (jsonTarget !== undefined) {
      const json = `${JSON.stringify(toFortioJson(result, { ...ctx, labels }), null, 2)}\n`;
      if (jsonTarget === '-') io.stdout.write(json);
      else {
        const file = path.resolve(io.cwd, jsonTarget);
        try {
          await writeFile(file, json);
        } catch (err) {
          throw new CliError('LOAD_JSON_WRITE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
        }
        summaryOut.write(`Successfully wrote ${Buffer.byteLength(json)} bytes of Json data to ${jsonTarget}\n`);
      }
    }
    const ok = [...result.retCodes].some(([code, n]) => isSuccess(code) && n > 0);
    if (!ok && !boolFlag(args, 'allow-initial-errors')) {
      const codes = [...result.retCodes].map(([code, n]) => `Code ${code} × ${n}`).join(', ') || 'no calls';
      throw new CliError('LOAD_FAILED', `no call succeeded (${codes})`, { details: 'Pass -allow-initial-errors to exit 0 anyway.' });
    }
    return 0;
  },
};

/** Turns flags into runner options; throws usage errors for bad values. */
function loadOptions(args: ParsedArgs, io: CliIO): LoadOptions {
  if (args.positionals.length !== 1) throw usageError(args.positionals.length === 0 ? 'a URL is required' : `expected one URL, got ${args.positionals.length} arguments`);
  const url = args.positionals[0]!;
  const c = numberFlag(args, 'c') ?? 8;
  if (!Number.isInteger(c) || c < 1 || c > 10_000) throw usageError(`-c must be an integer from 1 to 10000, got ${c}`);
  const n = numberFlag(args, 'n');
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw usageError(`-n must be a non-negative integer, got ${n}`);
  const durationText = stringFlag(args, 't') ?? '5s';
  const durationMs = parseDuration(durationText);
  if (durationMs === undefined) throw usageError(`-t needs a duration like 5s or 1m, got ${JSON.stringify(durationText)}`);
  const timeoutText = stringFlag(args, 'timeout') ?? '3s';
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0) throw usageError(`-timeout needs a positive duration like 3s, got ${JSON.stringify(timeoutText)}`);
  parsePercentiles(stringFlag(args, 'p') ?? '');
  const size = numberFlag(args, 'payload-size');
  if (size !== undefined && (!Number.isInteger(size) || size < 0 || size > 256 * 1024 * 1024)) throw usageError(`-payload-size must be an integer from 0 to 268435456, got ${size}`);
  const text = stringFlag(args, 'payload');
  const payload = size ? randomBytes(size) : text !== undefined && text !== '' ? Buffer.from(text) : undefined;
  return {
    url,
    qps: numberFlag(args, 'qps') ?? 8,
    connections: c,
    totalCalls: n && n > 0 ? n : undefined,
    durationMs,
    headers: listFlag(args, 'H'),
    method: stringFlag(args, 'X'),
    payload,
    timeoutMs,
    keepAlive: args.flags.keepalive !== false,
    useEnvProxy: boolFlag(args, 'proxy'),
    env: io.env,
    insecure: boolFlag(args, 'k'),
    userAgent: `weft-load/${VERSION}`,
  };
}

/** Parses `-p 50,75,99.9`. */
function parsePercentiles(text: string): number[] {
  if (text.trim() === '') return [...DEFAULT_PERCENTILES];
  return text.split(',').map((s) => {
    const p = Number(s.trim());
    if (s.trim() === '' || !Number.isFinite(p) || p <= 0 || p > 100) throw usageError(`-p needs percentiles in (0, 100], got ${JSON.stringify(s.trim())}`);
    return p;
  });
}

function toCliError(err: unknown): unknown {
  if (err instanceof HeaderError || err instanceof TargetError) return usageError(err.message);
  if (err instanceof LoadError) return err.code === 'LOAD_BAD_OPTIONS' ? usageError(err.message) : new CliError(err.code, err.message, { cause: err });
  return err;
}

/** A one-line progress indicator on stderr when it is a terminal, updated at most twice a second. */
function progressWriter(io: CliIO): { update: (p: LoadProgress) => void; clear: () => void } | undefined {
  const stderr = io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  if (!stderr.isTTY) return undefined;
  let shown = false;
  return {
    update(p) {
      const secs = p.elapsedMs / 1000;
      const pct = p.plannedCalls ? ` ${Math.min(100, Math.floor((100 * p.calls) / p.plannedCalls))}%` : '';
      stderr.write(`\r\x1b[K[weft load] ${secs.toFixed(1)} s, ${p.calls} calls, ${(secs > 0 ? p.calls / secs : 0).toFixed(1)} qps, ${p.errors} non-2xx${pct}`);
      shown = true;
    },
    clear() {
      if (shown) stderr.write('\r\x1b[K');
    },
  };
}
