/**
 * Unit tests of the rate schedule (pure: times are passed in) and of Go-style durations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadSchedule, intendedStartMs, openLoopCalls, splitCalls } from '../../src/load/schedule.js';
import { formatDuration, parseDuration } from '../../src/load/duration.js';

test('open loop: request j is scheduled at j/qps and early connections wait for their slot', () => {
  const s = new LoadSchedule({ qps: 10, durationMs: 1000 });
  assert.equal(s.open, true);
  assert.equal(s.plannedCalls, 10);
  assert.deepEqual(s.take(0), { kind: 'send', index: 0, intendedMs: 0 });
  assert.deepEqual(s.take(0), { kind: 'wait', untilMs: 100 });
  assert.deepEqual(s.take(99.9), { kind: 'wait', untilMs: 100 });
  assert.deepEqual(s.take(100), { kind: 'send', index: 1, intendedMs: 100 });
});

test('open loop: a late connection catches up and keeps the intended (past) start times', () => {
  const s = new LoadSchedule({ qps: 100, totalCalls: 5 });
  const steps = [s.take(35), s.take(35), s.take(35), s.take(35), s.take(35)];
  assert.deepEqual(
    steps.map((x) => (x.kind === 'send' ? x.intendedMs : x.kind)),
    [0, 10, 20, 30, 'wait'],
  );
  assert.deepEqual(s.take(40), { kind: 'send', index: 4, intendedMs: 40 });
  assert.deepEqual(s.take(1e9), { kind: 'done' });
  assert.equal(s.issuedCalls, 5);
  assert.equal(s.finished, true);
});

test('open loop call counts: ceil(duration × qps), fractional rates included', () => {
  assert.equal(openLoopCalls(50, 1000), 50);
  assert.equal(openLoopCalls(8, 5000), 40);
  assert.equal(openLoopCalls(2.5, 1000), 3); // slots at 0, 400, 800 ms
  assert.equal(openLoopCalls(3, 1000), 3);
  assert.equal(openLoopCalls(1, 0), 0);
  assert.equal(intendedStartMs(3, 4), 750);
  // Every planned slot starts before the end of the run, the next one does not.
  for (const [qps, d] of [[7, 1300], [1000, 2500], [0.5, 10_000]] as const) {
    const n = openLoopCalls(qps, d);
    assert.ok(intendedStartMs(n - 1, qps) < d && intendedStartMs(n, qps) >= d, `${qps} qps for ${d} ms`);
  }
});

test('open loop without a limit runs until stopped', () => {
  const s = new LoadSchedule({ qps: 1000, durationMs: 0 });
  assert.equal(s.plannedCalls, undefined);
  for (let i = 0; i < 100; i++) assert.equal(s.take(1e6).kind, 'send');
  s.stop();
  assert.deepEqual(s.take(1e6), { kind: 'done' });
});

test('closed loop with -n hands out exactly n requests, each intended "now"', () => {
  const s = new LoadSchedule({ qps: 0, totalCalls: 3, durationMs: 5 });
  assert.equal(s.open, false);
  assert.deepEqual(s.take(7), { kind: 'send', index: 0, intendedMs: 7 });
  assert.deepEqual(s.take(1e6), { kind: 'send', index: 1, intendedMs: 1e6 }); // -n overrides -t
  assert.equal(s.take(1e6).kind, 'send');
  assert.deepEqual(s.take(1e6), { kind: 'done' });
});

test('closed loop with a duration stops handing out requests at the deadline', () => {
  const s = new LoadSchedule({ qps: -1, durationMs: 100 });
  assert.equal(s.plannedCalls, undefined);
  assert.equal(s.take(99.99).kind, 'send');
  assert.deepEqual(s.take(100), { kind: 'done' });
  assert.deepEqual(s.take(50), { kind: 'done' }, 'stays done');
});

test('splitCalls: fortio-style per-connection share and remainder', () => {
  assert.deepEqual(splitCalls(30, 3), { each: 10, remainder: 0 });
  assert.deepEqual(splitCalls(31, 4), { each: 7, remainder: 3 });
});

test('Go durations parse to milliseconds and format back', () => {
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('100us'), 0.1);
  assert.equal(parseDuration('100µs'), 0.1);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', 's', '5x', '-1s', '5s junk', '1..2s']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(5000), '5s');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(3_723_000), '1h2m3s');
  assert.equal(formatDuration(0), '0s');
});
