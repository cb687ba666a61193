/**
 * Istio's outlier detection under `weft up`: one of three endpoints answering 500 is ejected after
 * 5 consecutive errors, receives no traffic while ejected, and is tried again after the ejection
 * time (issue 5).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';

const URL = 'http://127.0.0.1:18780/';
let mesh: WeftProcess | undefined;
const dirs: string[] = [];
after(async () => {
  await mesh?.stop();
  closeClients();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('a failing endpoint is ejected after 5 consecutive 5xx and comes back after the ejection time', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-outlier-'));
  dirs.push(dir);
  await cp(path.join(REPO_ROOT, 'test/up/fixtures/outlier'), dir, { recursive: true });
  mesh = startWeft(['up', dir, '--state', path.join(dir, '.state'), '--http-port', '18780', '--xds-port', '18710', '--api-port', '18714', '--ca-port', '18712', '--pod-net', '100']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 60_000);

  // Until ejection, round robin sends every third request to flaky-2, which answers 500.
  let failures = 0;
  let sent = 0;
  while (failures < 5 && sent < 60) {
    const r = await get(URL);
    sent++;
    if (r.status === 500) {
      assert.equal(r.body, 'flaky-2\n');
      failures++;
    } else assert.equal(r.status, 200, r.body);
  }
  assert.equal(failures, 5, `5 failures within ${sent} requests`);
  const ejectedAt = performance.now();

  // Ejected: the next requests reach only flaky-0 and flaky-1 (the ejection time is 3 s).
  const seen = new Map<string, number>();
  // (Only requests sent well inside the 3 s ejection count.)
  for (let i = 0; i < 30 && performance.now() - ejectedAt < 2500; i++) {
    const r = await get(URL);
    seen.set(r.body.trim(), (seen.get(r.body.trim()) ?? 0) + 1);
  }
  const elapsed = performance.now() - ejectedAt;
  t.diagnostic(`while ejected (${elapsed.toFixed(0)} ms): ${JSON.stringify([...seen])}`);
  assert.equal(seen.get('flaky-2'), undefined, 'no traffic reaches the ejected endpoint');
  assert.ok((seen.get('flaky-0') ?? 0) > 0 && (seen.get('flaky-1') ?? 0) > 0);

  // After the ejection time (3 s, checked on the 1 s interval) it receives traffic again.
  await new Promise((r) => setTimeout(r, Math.max(0, 4500 - (performance.now() - ejectedAt))));
  let back = false;
  for (let i = 0; i < 30 && !back; i++) back = (await get(URL)).body === 'flaky-2\n';
  assert.ok(back, 'the endpoint returns after the ejection time');
});
