/** Rotation timing: 80 % of the lifetime, safety margin, floor, retry back-off. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renewalRetryDelayMs, rotationDelayMs } from './rotation.js';

const H = 3600_000;

test('renews at 80 % of the lifetime by default', () => {
  assert.equal(rotationDelayMs(0, 24 * H, 0), 69_120_000);
  assert.equal(rotationDelayMs(0, 24 * H, 10 * H), 69_120_000 - 10 * H);
  assert.equal(rotationDelayMs(0, 10_000, 0, { fraction: 0.5 }), 5000);
});

test('stays a margin before expiry and never schedules in the past', () => {
  assert.equal(rotationDelayMs(0, 10_000, 0, { fraction: 0.95, marginMs: 1000 }), 9000);
  assert.equal(rotationDelayMs(0, 10_000, 20_000), 250);
  assert.equal(rotationDelayMs(0, 1000, 0, { marginMs: 1000 }), 800, 'too short for the margin: fraction only');
});

test('a 10 s certificate issued with the CA back-dating renews after about 7–8 s', () => {
  const issued = 1_000_000;
  const delay = rotationDelayMs(issued - 1000, issued + 10_000, issued);
  assert.ok(delay >= 7000 && delay <= 8000, String(delay));
});

test('failed renewals back off exponentially, capped, within the remaining lifetime', () => {
  assert.equal(renewalRetryDelayMs(1, 0, 24 * H), 1000);
  assert.equal(renewalRetryDelayMs(3, 0, 24 * H), 4000);
  assert.equal(renewalRetryDelayMs(20, 0, 24 * H), 30_000);
  assert.equal(renewalRetryDelayMs(20, 0, 10_000), 5000);
});
