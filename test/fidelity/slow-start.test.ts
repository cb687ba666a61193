/**
 * End to end: DestinationRule slow start (`loadBalancer.warmup`, and the deprecated
 * `warmupDurationSecs`) through a real sidecar. Two endpoints serve steady load; a third joins the
 * service; its share of requests, measured per second of its time in the cluster, rises from about
 * the minimum weight to its full third by the end of the window (Envoy's slow start:
 * docs/root/intro/arch_overview/upstream/load_balancing/slow_start.rst). The rule also sets
 * `warmupDurationSecs: 1s`, which istiod ignores when `warmup` is present: a 1 s window would give
 * the new endpoint its full share from the second interval on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Mesh, service, Upstream, waitUntil, type Behaviour } from '../resilience/harness.js';

const WINDOW_S = 5;
const PORT = 19250;
const mesh = new Mesh('127.210.0.1');
const RR = 'outbound|19250||ss-rr.default.svc.cluster.local';
const LR = 'outbound|19250||ss-lr.default.svc.cluster.local';
const rrOld = [new Upstream('127.210.0.11', PORT), new Upstream('127.210.0.12', PORT)];
const rrNew = new Upstream('127.210.0.13', PORT);
const lrOld = [new Upstream('127.210.0.21', PORT), new Upstream('127.210.0.22', PORT)];
const lrNew = new Upstream('127.210.0.23', PORT);

/** Arrival times (performance.now(), the clock the in-process proxy stamps hosts with) per upstream. */
const arrivals = new Map<Upstream, number[]>();
const stamp = (u: Upstream): Behaviour => (_req, res) => {
  arrivals.get(u)!.push(performance.now());
  res.writeHead(200, { 'content-length': 2 });
  res.end('ok');
};

const RULES = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ss-rr}
spec:
  host: ss-rr
  trafficPolicy:
    loadBalancer:
      simple: ROUND_ROBIN
      warmupDurationSecs: 1s
      warmup: {duration: ${WINDOW_S}s, minimumPercent: 10, aggression: 1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ss-lr}
spec:
  host: ss-lr
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST, warmupDurationSecs: ${WINDOW_S}s}
`;

before(async () => {
  for (const u of [...rrOld, rrNew, ...lrOld, lrNew]) {
    arrivals.set(u, []);
    u.behaviour = stamp(u);
  }
  await mesh.start({
    'registry.yaml': [service('ss-rr', PORT, rrOld.map((u) => u.address)), service('ss-lr', PORT, lrOld.map((u) => u.address))].join('---\n'),
    'dr.yaml': RULES,
  }, [...rrOld, rrNew, ...lrOld, lrNew]);
  await mesh.waitForHosts(RR, 2);
  await mesh.waitForHosts(LR, 2);
});

after(() => mesh.stop());

/** Per-second shares of `fresh` among `all`, by arrival time relative to its join time. */
function shares(all: readonly Upstream[], fresh: Upstream, joinedAt: number, seconds: number): { share: number; total: number }[] {
  const out: { share: number; total: number }[] = [];
  for (let s = 0; s < seconds; s++) {
    const lo = joinedAt + s * 1000;
    const hi = lo + 1000;
    const inBucket = (u: Upstream) => arrivals.get(u)!.filter((t) => t >= lo && t < hi).length;
    const total = all.reduce((n, u) => n + inBucket(u), 0);
    out.push({ share: total === 0 ? NaN : inBucket(fresh) / total, total });
  }
  return out;
}

/** Keeps `concurrency` request loops busy on `host` until `stop()` is true; counts non-200s. */
async function load(host: string, concurrency: number, stop: () => boolean): Promise<number> {
  let failed = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!stop()) if ((await mesh.request(`http://${host}:${PORT}/`)).status !== 200) failed++;
  }));
  return failed;
}

test('slow start: a new endpoint under steady load gets a share rising over the warmup window (ROUND_ROBIN with warmup, LEAST_REQUEST with warmupDurationSecs)', async (t) => {
  // The two old endpoints must be past their own window first (they are in slow start too when new).
  let stopping = false;
  // One request at a time on LEAST_REQUEST: no host has active requests when picked, so its weights are the ramp alone.
  const running = Promise.all([load('ss-rr', 3, () => stopping), load('ss-lr', 1, () => stopping)]);
  const oldest = () => Math.max(...[RR, LR].flatMap((c) => mesh.proxy.snapshot().clusters.get(c)?.hostSet.hosts.map((h) => h.createdAtMs) ?? [Infinity]));
  await waitUntil(() => performance.now() > oldest() + WINDOW_S * 1000 + 200, 'the old endpoints to leave slow start', 600);
  await writeFile(path.join(mesh.dir, 'new.yaml'), [
    `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ss-rr-new}\nspec: {address: ${rrNew.address}, labels: {app: ss-rr}, ports: {http: ${PORT}}}\n`,
    `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: ss-lr-new}\nspec: {address: ${lrNew.address}, labels: {app: ss-lr}, ports: {http: ${PORT}}}\n`,
  ].join('---\n'));
  const joined = (c: string, u: Upstream) => mesh.proxy.snapshot().clusters.get(c)?.hostSet.hosts.find((h) => h.address === u.address)?.createdAtMs;
  await waitUntil(() => joined(RR, rrNew) !== undefined && joined(LR, lrNew) !== undefined, 'the new endpoints in the proxy');
  const rrJoined = joined(RR, rrNew)!;
  const lrJoined = joined(LR, lrNew)!;
  const seconds = WINDOW_S + 1;
  await waitUntil(() => performance.now() > Math.max(rrJoined, lrJoined) + seconds * 1000, 'the window and one more second', 1000);
  stopping = true;
  const failed = await running;
  assert.deepEqual(failed, [0, 0], 'no failed requests');

  for (const [name, all, fresh, at] of [['ROUND_ROBIN', [...rrOld, rrNew], rrNew, rrJoined], ['LEAST_REQUEST', [...lrOld, lrNew], lrNew, lrJoined]] as const) {
    const s = shares(all, fresh, at, seconds);
    t.diagnostic(`${name}: new endpoint's share per second since it joined: ${s.map((b) => `${(100 * b.share).toFixed(1)}% of ${b.total}`).join(', ')}`);
    for (const b of s) assert.ok(b.total >= 20, `${name}: at least 20 requests per second measured (${b.total})`);
    // Envoy's weight factor max(0.1, t/5): shares about 6 %, 13 %, 21 %, 26 %, 30 % in the window, then 33 %.
    assert.ok(s[0]!.share < 0.15, `${name}: first second near the minimum weight (${s[0]!.share})`);
    assert.ok(s[1]!.share < 0.24, `${name}: second second still ramping (${s[1]!.share}; a 1 s window would give 33 %)`);
    assert.ok(s[0]!.share < s[2]!.share && s[1]!.share < s[3]!.share && s[2]!.share < s[4]!.share, `${name}: the share rises`);
    assert.ok(s[seconds - 1]!.share > 0.24 && s[seconds - 1]!.share < 0.45, `${name}: a full third after the window (${s[seconds - 1]!.share})`);
  }
});
