import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PushScheduler, type PushTarget } from './push-scheduler.js';

class FakeTarget implements PushTarget {
  isClosed = false;
  backlogged = false;
  refreshes = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly cost = 0) {}
  refresh(): number {
    this.refreshes++;
    const until = performance.now() + this.cost;
    while (performance.now() < until) {
      // busy: a translation
    }
    return 1;
  }
  whenWritable(cb: () => void): void {
    if (!this.backlogged) cb();
    else this.waiters.push(cb);
  }
  drain(): void {
    this.backlogged = false;
    for (const cb of this.waiters.splice(0)) cb();
  }
}

test('scheduled pushes coalesce per target and resolve with the round counts', async () => {
  const s = new PushScheduler<FakeTarget>();
  const targets = [new FakeTarget(), new FakeTarget(), new FakeTarget()];
  const first = s.schedule(targets);
  const second = s.schedule(targets.slice(0, 2)); // still queued: coalesced
  assert.equal(s.pending, 3);
  const [a, b] = await Promise.all([first, second]);
  assert.deepEqual(a, { proxies: 3, responses: 3 });
  assert.deepEqual(b, a);
  assert.deepEqual(targets.map((t) => t.refreshes), [1, 1, 1]);
});

test('work is sliced: the event loop runs between slices', async () => {
  const s = new PushScheduler<FakeTarget>({ sliceMs: 5 });
  const targets = Array.from({ length: 10 }, () => new FakeTarget(3));
  let partial = 0;
  const timer = setInterval(() => {
    const n = targets.filter((t) => t.refreshes > 0).length;
    if (n > 0 && n < targets.length) partial++;
  }, 0);
  await s.schedule(targets);
  clearInterval(timer);
  assert.ok(targets.every((t) => t.refreshes === 1));
  assert.ok(partial > 0, 'timers ran while the push was half done');
});

test('a backlogged target waits for drain, then gets refreshed; closed targets are skipped', async () => {
  const s = new PushScheduler<FakeTarget>();
  const slow = new FakeTarget();
  const gone = new FakeTarget();
  const ok = new FakeTarget();
  slow.backlogged = true;
  gone.isClosed = true;
  let resolved = false;
  const done = s.schedule([slow, gone, ok]).then((r) => {
    resolved = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(ok.refreshes, 1);
  assert.equal(slow.refreshes, 0);
  assert.equal(gone.refreshes, 0);
  assert.equal(resolved, false);
  assert.ok(s.has(slow));
  s.schedule([slow]); // coalesces with the waiting one
  slow.drain();
  assert.deepEqual(await done, { proxies: 2, responses: 2 });
  assert.equal(slow.refreshes, 1);
});
