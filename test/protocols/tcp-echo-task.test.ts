/**
 * Istio's TCP traffic-shifting task against `weft up samples/tcp-echo`: the gateway's TCP server on
 * 127.0.0.1:31400 (gateway → tcp-echo sidecars over mTLS → apps), every line prefixed `one` with
 * `tcp-echo-all-v1.yaml`, about 20 % `two` (within 3σ) with `tcp-echo-20-v2.yaml`; and from inside
 * the mesh, the sleep pod reaching tcp-echo through HTTP CONNECT on its sidecar (HTTP_PROXY).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { SHOWN_TYPES, applyChangedSomething, shownState, syncz, waitForSync } from '../harness/sync-status.js';

const SERVER = 'http://127.0.0.1:18914';
const TASKS = path.join(REPO_ROOT, 'samples/tasks/tcp-echo');

let mesh: WeftProcess | undefined;
let state = '';

function exchange(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(31400, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/** At least three proxies, none STALE (through the API, as `weft proxy-status` reads it). */
async function synced(newerThan?: string): Promise<void> {
  await waitForSync(SERVER, state, (s) => s.proxies.length + (s.disconnected?.length ?? 0) >= 3 && s.proxies.every((p) => SHOWN_TYPES.every((t) => shownState(p, t) !== 'STALE')), 'proxies to sync', { newerThan });
}

async function apply(file: string): Promise<void> {
  const before = (await syncz(SERVER, state)).version;
  const r = await runWeft(['apply', '-f', file, '--server', SERVER, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  await synced(applyChangedSomething(r.stdout) ? before : undefined);
}

/** Connections until one answers (the gateway binds 31400 once its config arrives). */
async function firstAnswer(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await exchange('ping\n').catch(() => '');
    if (out !== '') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('31400 never answered');
}

before(async () => {
  state = await mkdtemp(path.join(os.tmpdir(), 'weft-tcp-echo-'));
  mesh = startWeft(['up', 'samples/tcp-echo', '--state', state, '--http-port', '18980', '--xds-port', '18910', '--api-port', '18914', '--ca-port', '18912', '--pod-net', '120']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
  await apply(path.join(TASKS, 'tcp-echo-all-v1.yaml'));
  await firstAnswer();
});

after(async () => {
  await mesh?.stop();
  await rm(state, { recursive: true, force: true });
});

test('tcp-echo-all-v1: every connection through 31400 answers "one"', async () => {
  for (let i = 0; i < 20; i++) assert.equal(await exchange(`hello ${i}\n`), `one hello ${i}\n`);
});

test('tcp-echo-20-v2: about 20 % of connections answer "two" (3 sigma over 200)', async () => {
  await apply(path.join(TASKS, 'tcp-echo-20-v2.yaml'));
  // The new weights reach the gateway with the push; connections from then on split.
  for (let i = 0; i < 100; i++) {
    if ((await exchange('probe\n')).startsWith('two')) break;
  }
  const n = 200;
  let two = 0;
  for (let i = 0; i < n; i += 20) {
    const outs = await Promise.all(Array.from({ length: 20 }, () => exchange('x\n')));
    for (const o of outs) {
      assert.match(o, /^(one|two) x\n$/);
      if (o.startsWith('two')) two++;
    }
  }
  const sigma = Math.sqrt(n * 0.2 * 0.8);
  assert.ok(Math.abs(two - n * 0.2) <= 3 * sigma, `v2 answered ${two} of ${n}`);
});

test('from inside the mesh: sleep reaches tcp-echo with CONNECT through its sidecar', async () => {
  await apply(path.join(REPO_ROOT, 'samples/sleep/sleep.yaml'));
  await mesh!.waitFor(/sleep-0:ready\/ready/, 60_000);
  await synced();
  const script = `
const net = require('node:net');
const u = new URL(process.env.HTTP_PROXY);
// The pod's proxy URL carries its outbound credential (weft up); sent as curl -p would.
const auth = u.username ? 'Proxy-Authorization: Basic ' + Buffer.from(decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password)).toString('base64') + '\\r\\n' : '';
const s = net.connect(Number(u.port), u.hostname, () => s.write('CONNECT tcp-echo:9001 HTTP/1.1\\r\\nHost: tcp-echo:9001\\r\\n' + auth + '\\r\\n'));
let buf = '', open = false;
s.setEncoding('utf8');
s.on('data', (d) => { buf += d; if (!open && buf.includes('\\r\\n\\r\\n')) { open = true; s.end('from sleep\\n'); } });
s.on('close', () => { process.stdout.write(buf); });
`;
  const r = await runWeft(['exec', 'sleep', '--server', SERVER, '--state', state, '--', process.execPath, '-e', script], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HTTP\/1\.1 200 [^\r]*\r\n\r\n(one|two) from sleep\n$/);
});
