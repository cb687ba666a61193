/**
 * End to end, issue 11 ("atomic, truthful apply"): a real `weft control` is killed with SIGKILL at
 * seeded random instants while it applies or deletes batches of 50–200 resources, and restarted on
 * the same state directory each time. After every restart, through the API: every batch ever sent
 * is wholly present or wholly absent, batches known before are unchanged, and the batch's apply-id
 * status agrees with what is present (committed ⇔ applied; an answered 200 ⇒ committed).
 *
 * The kill instant is spread over before / during / after the commit: each run sends the batch
 * under test and kills after a random
 * delay in [0, 2T) (T: the time of the answered applies so far).
 *
 * Soak: `WEFT_APPLY_KILL_RUNS=200 WEFT_APPLY_KILL_SEED=7 node --test build/test/reliability/apply-kill9.test.js` (after `npm run build:test`)
 * (default 20 runs, seed 11). Ports 19200–19209.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startWeft, runWeft, apiAuthHeaders, type WeftProcess } from '../helpers/weft-process.js';

const API_PORT = 19201;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const RUNS = Number(process.env.WEFT_APPLY_KILL_RUNS ?? 20);
const SEED = Number(process.env.WEFT_APPLY_KILL_SEED ?? 11);

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080}]
`;

/** mulberry32: a small seeded PRNG, so every run of the test kills at the same points. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const vs = (name: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.example.com]
  http:
  - route:
    - destination: {host: web}
      weight: 100
`;

interface Batch {
  readonly label: string;
  readonly names: readonly string[];
  /** Last known state; '?' while its apply or delete is in flight across a kill. */
  state: 'present' | 'absent' | '?';
}

const procs: WeftProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  for (const c of cleanups) await c();
});

/** A POST to the API; resolves with the status (0 when the connection died before an answer). */
function post(state: string, apiPath: string, body: string, applyId: string, onSent?: () => void): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(`${SERVER}${apiPath}`, {
      method: 'POST',
      headers: { ...apiAuthHeaders(state), 'content-type': 'application/json', 'x-weft-apply-id': applyId, 'content-length': Buffer.byteLength(body) },
      agent: false,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body, onSent);
  });
}

async function getJson<T>(state: string, apiPath: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http.get(`${SERVER}${apiPath}`, { headers: apiAuthHeaders(state), agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text) as T) : reject(new Error(`${apiPath}: HTTP ${res.statusCode} ${text}`))));
    }).on('error', reject);
  });
}

async function startControl(config: string, state: string): Promise<WeftProcess> {
  const p = startWeft(['control', '--config', config, '--state', state, '--xds-port', '-1', '--http-port', String(API_PORT), '--debounce', '20']);
  procs.push(p);
  await p.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 30_000);
  return p;
}

async function kill(p: WeftProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.stop();
}

/** Names present now, per batch label. */
async function presentByLabel(state: string): Promise<Map<string, number>> {
  const { items } = await getJson<{ items: { metadata: { name: string } }[] }>(state, '/api/v1/resources?kind=VirtualService');
  const counts = new Map<string, number>();
  for (const i of items) {
    const label = i.metadata.name.split('-')[0]!;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

async function statusOf(state: string, id: string): Promise<string> {
  return (await getJson<{ status: string }>(state, `/api/v1/applies/${id}`)).status;
}

test(`kill -9 at ${RUNS} random points during applies and deletes: every batch all or nothing, its apply id truthful`, { timeout: 600_000 }, async () => {
  const rand = rng(SEED);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-apply-kill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config');
  const state = path.join(dir, 'state');
  await mkdir(config);
  await writeFile(path.join(config, 'web.yaml'), SERVICE);

  const batches: Batch[] = [];
  let next = 0;
  const newBatch = (): Batch => {
    const label = `b${next++}`;
    const size = 50 + Math.floor(rand() * 151);
    const b: Batch = { label, names: Array.from({ length: size }, (_, k) => `${label}-vs-${k}`), state: '?' };
    batches.push(b);
    return b;
  };
  const applyBody = (b: Batch) => JSON.stringify({ files: [{ file: '-', text: b.names.map(vs).join('---\n') }] });
  const deleteBody = (b: Batch) => JSON.stringify(b.names.map((name) => ({ kind: 'VirtualService', namespace: 'default', name })));
  const outcomes = { committed: 0, notCommitted: 0, answered: 0, tornWarnings: 0, deletes: 0 };

  let control = await startControl(config, state);
  // Calibration: a batch applied with its answer awaited (so it must be present from now on); its
  // time, then that of every answered batch, sets the range of kill delays.
  const cal = newBatch();
  let t0 = performance.now();
  assert.equal(await post(state, '/api/v1/apply', applyBody(cal), 'calibration'), 200, 'calibration apply');
  let took = performance.now() - t0;
  cal.state = 'present';
  for (let run = 0; run < RUNS; run++) {
    // The batch under test: an apply of a new batch, or (about 1 in 3) the delete of a present one.
    const present = batches.filter((b) => b.state === 'present');
    const isDelete = present.length > 0 && rand() < 0.35;
    const target = isDelete ? present[Math.floor(rand() * present.length)]! : newBatch();
    const id = `run-${run}-${isDelete ? 'del' : 'apply'}`;
    const delay = rand() * 2 * took;
    target.state = '?';
    let answered = 0;
    t0 = performance.now();
    const sending = post(state, isDelete ? '/api/v1/delete' : '/api/v1/apply', isDelete ? deleteBody(target) : applyBody(target), id).then((s) => {
      answered = s;
      if (s === 200) took = (took + (performance.now() - t0)) / 2;
    });
    await new Promise((r) => setTimeout(r, delay));
    await kill(control);
    await sending;

    control = await startControl(config, state);
    if (/dropped the last record/.test(control.output())) outcomes.tornWarnings++;
    const counts = await presentByLabel(state);
    for (const b of batches) {
      const n = counts.get(b.label) ?? 0;
      assert.ok(n === 0 || n === b.names.length, `run ${run} (seed ${SEED}, kill after ${delay.toFixed(0)} ms of ~${took.toFixed(0)}): batch ${b.label} is partly applied: ${n} of ${b.names.length}`);
      const now = n === 0 ? 'absent' : 'present';
      if (b.state !== '?') assert.equal(now, b.state, `run ${run}: batch ${b.label} changed from ${b.state} to ${now} without being touched`);
      b.state = now;
    }
    const status = await statusOf(state, id);
    const landed = (batches.find((b) => b === target) ?? target).state as Batch['state'];
    const committed = isDelete ? landed === 'absent' : landed === 'present';
    assert.equal(status, committed ? 'committed' : 'unknown', `run ${run}: ${id} is ${target.state} but its status is ${status}`);
    if (answered === 200) assert.ok(committed, `run ${run}: ${id} was answered 200 but is not committed`);
    if (answered === 200) outcomes.answered++;
    if (committed) outcomes.committed++;
    else outcomes.notCommitted++;
    if (isDelete) outcomes.deletes++;
    assert.equal(await statusOf(state, 'calibration'), 'committed');
  }
  await control.stop();
  process.stderr.write(`apply-kill9: seed ${SEED}, ${RUNS} kills: ${JSON.stringify(outcomes)}\n`);
  // The kill points really were spread over both sides of the commit.
  if (RUNS >= 20) {
    assert.ok(outcomes.committed > 0 && outcomes.notCommitted > 0, JSON.stringify(outcomes));
  }
});

test('a CLI apply cut by kill -9 names its apply id; weft apply --status answers it truthfully after the restart', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-apply-cli-kill-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const config = path.join(dir, 'config');
  const state = path.join(dir, 'state');
  await mkdir(config);
  await writeFile(path.join(config, 'web.yaml'), SERVICE);
  // Large enough (5,000 resources) that the control plane is still parsing when it is killed.
  const file = path.join(dir, 'big.yaml');
  await writeFile(file, Array.from({ length: 5000 }, (_, k) => vs(`big-vs-${k}`)).join('---\n'));
  const control = await startControl(config, state);
  const applying = runWeft(['apply', '-f', file, '--apply-id', 'cli-kill-apply-1', '--server', SERVER, '--state', state], { timeoutMs: 60_000 });
  // Killed once the request has reached the control plane (its apply id is pending).
  const deadline = Date.now() + 30_000;
  while ((await statusOf(state, 'cli-kill-apply-1').catch(() => 'error')) !== 'pending') {
    assert.ok(Date.now() < deadline, 'the apply never became pending');
    await new Promise((r) => setTimeout(r, 20));
  }
  await kill(control);
  const cli = await applying;
  assert.equal(cli.code, 1, cli.stdout + cli.stderr);
  assert.match(cli.stderr, /APPLY_OUTCOME_UNKNOWN|lost the answer/);
  assert.match(cli.stderr, /weft apply --status cli-kill-apply-1/);
  const restarted = await startControl(config, state);
  const status = await runWeft(['apply', '--status', 'cli-kill-apply-1', '--server', SERVER, '--state', state]);
  const present = (await presentByLabel(state)).get('big') ?? 0;
  assert.ok(present === 0 || present === 5000, `${present} of 5000 applied`);
  if (present === 0) {
    assert.equal(status.code, 1);
    assert.match(status.stdout, /^apply cli-kill-apply-1 unknown: .*not committed/m);
  } else {
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^apply cli-kill-apply-1 committed: apply of 5000 resource\(s\)/m);
  }
  await restarted.stop();
});
