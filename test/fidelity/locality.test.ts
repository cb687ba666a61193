/**
 * Locality-aware load balancing end to end under `weft up` (issue 12), through real proxies: a
 * caller in r1/z-a (its Deployment's topology labels) calls `echo`, which has one replica in each
 * of r1/z-a, r1/z-b and r2/z-c.
 *
 * - failover (Istio's default mesh `localityLbSetting`, active because the DestinationRule has
 *   outlier detection): traffic stays in z-a; when z-a answers 503 its endpoint is ejected and
 *   traffic moves to the next locality, z-b (same region), never r2; when z-a recovers, traffic
 *   comes back. A steady load runs throughout and sees 0 failed requests (the VirtualService retries
 *   5xx, with `retryRemoteLocalities`, so the requests that meet the failing zone are answered);
 * - distribute: `echo-dist` sends 80 % to z-a and 20 % to z-b, none to r2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';
import { startSteadyLoad, type SteadyLoad } from '../helpers/steady-load.js';

const HTTP_PORT = 19180;
const URL = `http://127.0.0.1:${HTTP_PORT}/`;
let mesh: WeftProcess | undefined;
let load: SteadyLoad | undefined;
const dirs: string[] = [];
after(async () => {
  load?.kill();
  await mesh?.stop();
  closeClients();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Zone of each of `n` sequential answers (the echo replies "<pod> <zone>"); every answer must be 200. */
async function zones(url: string, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    assert.equal(r.status, 200, `answer ${i}: ${r.status} ${r.body}`);
    const zone = r.body.trim().split(' ')[1] ?? '?';
    seen.set(zone, (seen.get(zone) ?? 0) + 1);
  }
  return seen;
}

/** Samples batches of `n` answers until `ok` holds for one (bounded by `ms`); returns that batch. */
async function until(url: string, n: number, ms: number, ok: (z: Map<string, number>) => boolean): Promise<Map<string, number>> {
  const deadline = performance.now() + ms;
  let last = new Map<string, number>();
  while (performance.now() < deadline) {
    last = await zones(url, n);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`condition not reached within ${ms} ms; last batch ${JSON.stringify([...last])}`);
}

test('locality failover: traffic stays in the caller zone, fails over to the next zone when it is ejected, and comes back, under load with 0 failed requests; distribute weights hold', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-locality-'));
  dirs.push(dir);
  await cp(path.join(REPO_ROOT, 'test/fidelity/fixtures/locality'), dir, { recursive: true });
  mesh = startWeft(['up', dir, '--state', path.join(dir, '.state'), '--http-port', String(HTTP_PORT), '--xds-port', '19181', '--api-port', '19182', '--ca-port', '19183', '--pod-net', '204']);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);
  // Endpoints of every zone known to the caller's sidecar before the load starts.
  await until(URL, 5, 20_000, (z) => z.get('z-a') === 5);

  load = startSteadyLoad(URL, { qps: 100, connections: 4, seconds: 120 });
  // 1. All traffic stays in the caller's zone.
  const home = await zones(URL, 30);
  t.diagnostic(`healthy: ${JSON.stringify([...home])}`);
  assert.deepEqual([...home], [['z-a', 30]]);

  // 2. z-a fails: its endpoint is ejected and traffic goes to z-b (same region), never to r2.
  await writeFile(path.join(dir, 'fail-z-a'), '');
  const away = await until(URL, 20, 20_000, (z) => z.get('z-b') === 20);
  t.diagnostic(`z-a failing: ${JSON.stringify([...away])}`);
  // It stays away while z-a keeps failing (its endpoint is retried after each ejection, fails and
  // is ejected again for longer; the steady load's requests that meet it are retried elsewhere).
  const failingUntil = performance.now() + 5000;
  const stillAway = new Map<string, number>();
  while (performance.now() < failingUntil) for (const [z, c] of await zones(URL, 10)) stillAway.set(z, (stillAway.get(z) ?? 0) + c);
  t.diagnostic(`z-a still failing: ${JSON.stringify([...stillAway])}`);
  assert.equal(stillAway.get('z-c'), undefined, 'the other region is not used while z-b is healthy');
  assert.ok((stillAway.get('z-b') ?? 0) > 0);

  // 3. z-a recovers: once its ejection ends, traffic comes back.
  await rm(path.join(dir, 'fail-z-a'));
  const back = await until(URL, 10, 30_000, (z) => z.get('z-a') === 10);
  t.diagnostic(`z-a recovered: ${JSON.stringify([...back])}`);

  load.finish();
  const result = await load.done;
  load = undefined;
  t.diagnostic(`steady load: ${result.calls} calls, codes ${JSON.stringify(result.codes)}`);
  assert.ok(result.calls > 100, `the load ran (${result.calls} calls)`);
  assert.equal(result.failed, 0, `0 failed requests under load (${JSON.stringify(result.codes)})\n${result.log}`);

  // 4. distribute: 80 % z-a, 20 % z-b, nothing to r2/z-c.
  const n = 300;
  const dist = await zones(`${URL}dist`, n);
  t.diagnostic(`distribute: ${JSON.stringify([...dist])}`);
  assert.equal(dist.get('z-c'), undefined, 'a locality no `to` names gets nothing');
  const a = dist.get('z-a') ?? 0;
  // Binomial(300, 0.8): sd ≈ 6.9; ±5 sd.
  assert.ok(Math.abs(a - 0.8 * n) <= 35, `z-a share ${a}/${n}, expected 80 %`);
  assert.equal(a + (dist.get('z-b') ?? 0), n);
});
