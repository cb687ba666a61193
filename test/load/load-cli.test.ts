/**
 * End-to-end tests of `weft load` as a real child process against a local node:http server on
 * 127.0.0.1: exact call counts, status accounting, open-loop rate, JSON output, Host override,
 * payloads, JSON files, keep-alive off, timeouts, connection refused and usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoadServer, unusedPort, type TestServer } from './load-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEFT = path.join(ROOT, 'bin/weft.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Runs `weft load ARGS…` without blocking this process's event loop (the server lives here). */
function weftLoad(args: readonly string[], timeoutMs = 20_000, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [WEFT, 'load', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HTTP_PROXY: '', http_proxy: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weft load ${args.join(' ')} did not finish\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** `Code N : count (p %)` lines → Map. */
function codes(text: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const [, code, count] of text.matchAll(/^Code (-?\d+) : (\d+) \(\d+\.\d %\)$/gm)) m.set(Number(code), Number(count));
  return m;
}

/** `# target P% V` lines in order. */
function targets(text: string): { p: number; v: number }[] {
  return [...text.matchAll(/^# target ([\d.]+)% ([\d.e-]+)$/gm)].map(([, p, v]) => ({ p: Number(p), v: Number(v) }));
}

let server: TestServer;
before(async () => {
  server = await startLoadServer();
});
after(async () => {
  await server.close();
});

function resetLog(): void {
  server.log.requests = 0;
  server.log.sent.clear();
  server.log.hosts.length = 0;
  server.log.methods.length = 0;
  server.log.bodyBytes.length = 0;
  server.log.connections = 0;
}

test('-n 30 -c 3 -qps 0 makes exactly 30 calls; Code lines match what the server sent', async () => {
  resetLog();
  const r = await weftLoad(['-n', '30', '-c', '3', '-qps', '0', `${server.url}/mixed`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(server.log.requests, 30);
  const seen = codes(r.stdout);
  assert.deepEqual(seen, new Map([[200, 20], [503, 10]]));
  assert.deepEqual(seen, server.log.sent);
  assert.match(r.stdout, /^Fortio-like 'weft load' \S+ running at max queries per second, \d+->\d+ procs, for exactly 30 calls: http:\/\/127\.0\.0\.1:\d+\/mixed$/m);
  assert.match(r.stdout, /^Starting at max qps with 3 thread\(s\) \[gomax \d+\] for exactly 30 calls \(10 per thread \+ 0\)$/m);
  assert.match(r.stdout, /^Ended after [\d.]+ s : 30 calls\. qps=[\d.]+$/m);
  assert.match(r.stdout, /^Aggregated Function Time : count 30 avg [\d.e-]+ \+\/- [\d.e-]+ min [\d.e-]+ max [\d.e-]+ sum [\d.e-]+$/m);
  assert.match(r.stdout, /^Sockets used: 3 \(for perfect keepalive, would be 3\)$/m);
  assert.match(r.stdout, /^Code 200 : 20 \(66\.7 %\)$/m);
  assert.match(r.stdout, /^Code 503 : 10 \(33\.3 %\)$/m);
  assert.match(r.stdout, /^Response Header Sizes : count 30 avg \d+/m);
  assert.match(r.stdout, /^Response Body\/Total Sizes : count 30 avg \d+/m);
  assert.match(r.stdout, /^All done 30 calls \(plus 3 warmup\) [\d.]+ ms avg, [\d.]+ qps$/m);
  const ps = targets(r.stdout);
  assert.deepEqual(ps.map((x) => x.p), [50, 75, 90, 99, 99.9]);
  for (let i = 1; i < ps.length; i++) assert.ok(ps[i]!.v >= ps[i - 1]!.v, `percentiles monotonic: ${JSON.stringify(ps)}`);
  assert.ok(ps[0]!.v > 0 && ps[4]!.v < 3, 'latencies in seconds');
});

test('-qps 50 -t 1s sends about 50 calls on a fixed schedule and runs about a second', async () => {
  resetLog();
  const r = await weftLoad(['-qps', '50', '-t', '1s', '-c', '4', `${server.url}/`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(server.log.requests >= 40 && server.log.requests <= 60, `server saw ${server.log.requests}`);
  const ended = /^Ended after ([\d.]+) s : (\d+) calls\. qps=([\d.]+)$/m.exec(r.stdout);
  assert.ok(ended, r.stdout);
  assert.ok(Number(ended[1]) >= 0.9 && Number(ended[1]) < 5, `ran ${ended[1]} s`);
  assert.equal(Number(ended[2]), server.log.requests);
  assert.ok(r.elapsedMs >= 900);
  assert.match(r.stdout, /^Starting at 50 qps with 4 thread\(s\) \[gomax \d+\] for 1s : 12 calls each \(total 50\)$/m);
  assert.match(r.stdout, /^Open loop at a constant 50 qps/m);
});

test('-json - writes fortio JSON on stdout whose RetCodes match the server; the summary goes to stderr', async () => {
  resetLog();
  const r = await weftLoad(['-json', '-', '-n', '12', '-c', '2', '-qps', '0', '-p', '50,90,99', '-labels', 'e2e', `${server.url}/mixed`]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    RunType: string;
    Labels: string;
    RetCodes: Record<string, number>;
    NumThreads: number;
    RequestedQPS: string;
    RequestedDuration: string;
    ActualDuration: number;
    ActualQPS: number;
    SocketCount: number;
    URL: string;
    DurationHistogram: { Count: number; Min: number; Max: number; Data: { Count: number; Percent: number }[]; Percentiles: { Percentile: number; Value: number }[] };
    Sizes: { Count: number };
  };
  assert.equal(j.RunType, 'HTTP');
  assert.equal(j.Labels, 'e2e');
  assert.deepEqual(j.RetCodes, Object.fromEntries([...server.log.sent].map(([k, v]) => [String(k), v])));
  assert.deepEqual(j.RetCodes, { '200': 8, '503': 4 });
  assert.equal(j.NumThreads, 2);
  assert.equal(j.RequestedQPS, 'max');
  assert.equal(j.RequestedDuration, 'exactly 12 calls');
  assert.equal(j.SocketCount, 2);
  assert.equal(j.URL, `${server.url}/mixed`);
  assert.ok(j.ActualDuration > 0 && j.ActualQPS > 0);
  assert.equal(j.DurationHistogram.Count, 12);
  assert.equal(j.DurationHistogram.Data.reduce((n, b) => n + b.Count, 0), 12);
  assert.equal(j.DurationHistogram.Data.at(-1)!.Percent, 100);
  assert.deepEqual(j.DurationHistogram.Percentiles.map((p) => p.Percentile), [50, 90, 99]);
  const values = j.DurationHistogram.Percentiles.map((p) => p.Value);
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!);
  assert.ok(values[0]! >= j.DurationHistogram.Min && values[2]! <= j.DurationHistogram.Max);
  assert.equal(j.Sizes.Count, 12);
  assert.match(r.stderr, /^Code 503 : 4 \(33\.3 %\)$/m);
});

test('-json FILE writes the document next to the text summary', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-load-'));
  try {
    const r = await weftLoad(['-json', 'out.json', '-n', '3', '-c', '1', '-qps', '0', `${server.url}/`], 20_000, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Successfully wrote \d+ bytes of Json data to out\.json$/m);
    assert.match(r.stdout, /^Code 200 : 3 \(100\.0 %\)$/m);
    const j = JSON.parse(await readFile(path.join(dir, 'out.json'), 'utf8')) as { RetCodes: Record<string, number> };
    assert.deepEqual(j.RetCodes, { '200': 3 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("-H 'Host: x' reaches the server; a payload makes a POST of that size", async () => {
  resetLog();
  const r = await weftLoad(['-n', '4', '-c', '2', '-qps', '0', '-H', 'Host: reviews.example:9080', '-H', 'X-Test: 1', '-payload-size', '100', `${server.url}/`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(server.log.hosts, Array(4).fill('reviews.example:9080'));
  assert.deepEqual(server.log.methods, Array(4).fill('POST'));
  assert.deepEqual(server.log.bodyBytes, Array(4).fill(100));
  resetLog();
  const put = await weftLoad(['-n', '1', '-c', '1', '-X', 'PUT', '-payload', 'hello', `${server.url}/`]);
  assert.equal(put.code, 0, put.stderr);
  assert.deepEqual([server.log.methods, server.log.bodyBytes], [['PUT'], [5]]);
});

test('-keepalive=false opens one socket per call', async () => {
  resetLog();
  const r = await weftLoad(['-keepalive=false', '-n', '6', '-c', '2', '-qps', '0', `${server.url}/chunked`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Sockets used: 6 \(for perfect keepalive, would be 2\)$/m);
  assert.equal(server.log.connections, 6);
  assert.match(r.stdout, /^Code 200 : 6 \(100\.0 %\)$/m);
});

test('calls slower than -timeout count as Code -1 with reason timeout', async () => {
  resetLog();
  const r = await weftLoad(['-n', '2', '-c', '2', '-qps', '0', '-timeout', '150ms', '-allow-initial-errors', `${server.url}/slow?ms=2000`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Code -1 : 2 \(100\.0 %\)$/m);
  assert.match(r.stdout, /^Error reasons : timeout 2$/m);
  assert.ok(r.elapsedMs < 2000 + 1500, `took ${r.elapsedMs} ms`);
});

test('-t bounds an open-loop run against a server that never answers: no call starts after the deadline', async () => {
  // Issue 11: `weft load -t 20s` ran 501 s against a hanging app, because every call of the
  // timetable (qps × t) was still sent, one timeout after another, long past the deadline. As
  // fortio does, a time-limited run starts no call after -t; the calls in flight then end by
  // themselves (response or -timeout) and are counted. 2 connections, calls of 300 ms (the
  // timeout), 1 s: at most 2 × (1 + ⌈1000 / 300⌉) = 10 calls, where the timetable holds 40.
  resetLog();
  const r = await weftLoad(['-qps', '40', '-c', '2', '-t', '1s', '-timeout', '300ms', '-allow-initial-errors', `${server.url}/slow?ms=5000`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const c = codes(r.stdout);
  const calls = c.get(-1) ?? 0;
  assert.deepEqual([...c.keys()], [-1], r.stdout);
  assert.ok(calls >= 2 && calls <= 10, `${calls} calls were made:\n${r.stdout}`);
  assert.match(r.stdout, new RegExp(`^Error reasons : timeout ${calls}$`, 'm'));
});

test('connection refused shows Code -1 and exits 1 unless -allow-initial-errors', async () => {
  const port = await unusedPort();
  const r = await weftLoad(['-n', '5', '-c', '1', '-qps', '0', `http://127.0.0.1:${port}/`]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^Code -1 : 5 \(100\.0 %\)$/m);
  assert.match(r.stdout, /^Error reasons : ECONNREFUSED 5$/m);
  assert.match(r.stdout, /^Sockets used: 0 /m);
  assert.match(r.stderr, /^weft: LOAD_FAILED: no call succeeded/m);
  const allowed = await weftLoad(['-n', '2', '-c', '1', '-allow-initial-errors', `http://127.0.0.1:${port}/`]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /^Code -1 : 2 \(100\.0 %\)$/m);
});

test('usage errors exit 2 with a stable code', async () => {
  for (const args of [[], ['-c', '0', 'http://127.0.0.1:1/'], ['-t', 'soon', 'http://127.0.0.1:1/'], ['-H', 'Bad Header', 'http://127.0.0.1:1/'], ['-p', '50,150', 'http://127.0.0.1:1/'], ['ftp://x/'], ['-bogus', 'http://x/']]) {
    const r = await weftLoad(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^weft: USAGE: /, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('--help documents the loop modes and the proxy opt-in', async () => {
  const r = await weftLoad(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /coordinated omission/);
  assert.match(r.stdout, /HTTP_PROXY/);
  assert.match(r.stdout, /--qps N/);
});
