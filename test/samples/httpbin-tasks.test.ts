/**
 * Istio's circuit-breaking and mirroring tasks replayed against `weft up samples/httpbin` with the
 * sleep client applied, load generated from inside the mesh with `weft exec sleep -- weft load`
 * (issue 5).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, WEFT_BIN, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { SHOWN_TYPES, applyChangedSomething, shownState, syncz, waitForSync } from '../harness/sync-status.js';

const SERVER = 'http://127.0.0.1:18514';
const TASKS = path.join(REPO_ROOT, 'samples/tasks/httpbin');

let mesh: WeftProcess | undefined;
let state = '';
before(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'weft-httpbin-'));
  mesh = startWeft(['up', 'samples/httpbin', '--state', state, '--http-port', '18580', '--xds-port', '18510', '--api-port', '18514', '--ca-port', '18512', '--pod-net', '80']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
  const r = await runWeft(['apply', '-f', path.join(REPO_ROOT, 'samples/sleep/sleep.yaml'), '--server', SERVER, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  await mesh.waitFor(/sleep-0:ready\/ready/, 60_000);
  await synced();
});
after(async () => {
  await mesh?.stop();
  await rm(state, { recursive: true, force: true });
});

/** At least four proxies, each type SYNCED or NOT SENT (through the API, as `weft proxy-status` reads it). */
async function synced(newerThan?: string): Promise<void> {
  // Nothing STALE (the gateway has no routes here: its RDS is NOT SENT).
  const done = (s: string) => s === 'SYNCED' || s === 'NOT SENT';
  await waitForSync(SERVER, state, (s) => (s.disconnected?.length ?? 0) === 0 && s.proxies.length >= 4 && s.proxies.every((p) => SHOWN_TYPES.every((t) => done(shownState(p, t)))), 'proxies to sync', { newerThan });
}

async function apply(file: string): Promise<void> {
  const before = (await syncz(SERVER, state)).version;
  const r = await runWeft(['apply', '-f', path.join(TASKS, file), '--server', SERVER, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  await synced(applyChangedSomething(r.stdout) ? before : undefined);
}

/** Runs `weft load` inside the sleep pod (through its sidecar) and returns the count per status code. */
async function loadFromSleep(args: string[]): Promise<Map<number, number>> {
  const r = await runWeft(['exec', 'sleep', '--server', SERVER, '--state', state, '--', process.execPath, WEFT_BIN, 'load', '-proxy', ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const codes = new Map<number, number>();
  for (const m of r.stdout.matchAll(/^Code\s+(-?\d+)\s+:\s+(\d+)\s+\(/gm)) codes.set(Number(m[1]), Number(m[2]));
  return codes;
}

/** The sleep sidecar's Envoy-style stats, read from its admin endpoint. */
async function sleepStats(): Promise<string> {
  const r = await runWeft(['exec', 'sleep', '--server', SERVER, '--state', state, '--', 'sh', '-c', 'curl -sS --noproxy "*" "http://$POD_IP:15000/stats"']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('circuit breaking: 3 connections against maxConnections 1 / 1 pending → some 503 UO, counted as pending overflow', async (t) => {
  await apply('destination-rule-circuit-breaker.yaml');
  const before = overflowCount(await sleepStats());
  const codes = await loadFromSleep(['-c', '3', '-qps', '0', '-n', '30', 'http://httpbin:8000/get']);
  const ok = codes.get(200) ?? 0;
  const overflow = codes.get(503) ?? 0;
  t.diagnostic(`codes: ${JSON.stringify([...codes])}`);
  assert.equal(ok + overflow, 30, `only 200 and 503 expected: ${JSON.stringify([...codes])}`);
  assert.ok(ok >= 3 && overflow >= 1, `expected a mix of 200 and 503, got ${ok}/${overflow}`);
  const after = overflowCount(await sleepStats());
  assert.equal(after - before, overflow, 'upstream_rq_pending_overflow counts every 503');
});

test('mirroring: v1 serves, v2 receives every request with Host "httpbin-shadow:8000"', async () => {
  await apply('destination-rule-httpbin.yaml');
  await apply('httpbin-all-v1.yaml');
  await apply('httpbin-mirror-v2.yaml');
  const logFile = path.join(state, 'logs', 'httpbin-v2-0.log');
  const before = shadowLines(await readFile(logFile, 'utf8'));
  const codes = await loadFromSleep(['-c', '1', '-qps', '0', '-n', '20', 'http://httpbin:8000/headers']);
  assert.equal(codes.get(200), 20);
  // Mirrors are fire-and-forget: allow them a moment to land.
  let mirrored = 0;
  for (let i = 0; i < 50 && mirrored < 20; i++) {
    mirrored = shadowLines(await readFile(logFile, 'utf8')) - before;
    if (mirrored < 20) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(mirrored, 20);
  const v1Log = await readFile(path.join(state, 'logs', 'httpbin-v1-0.log'), 'utf8');
  assert.equal(shadowLines(v1Log), 0, 'v1 never sees shadow traffic');
});

function overflowCount(stats: string): number {
  const m = /^cluster\.outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local\.upstream_rq_pending_overflow: (\d+)$/m.exec(stats);
  return m ? Number(m[1]) : 0;
}

function shadowLines(log: string): number {
  return (log.match(/host=httpbin-shadow:8000/g) ?? []).length;
}
