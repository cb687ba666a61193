import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duration } from './types.js';
import { durationMs, toProtoDuration, ZERO_DURATION } from './duration.js';

test('durationMs: absent, proto3 defaults, fractions', () => {
  assert.equal(durationMs(undefined), undefined);
  assert.equal(durationMs(null), undefined);
  assert.equal(durationMs({}), 0);
  assert.equal(durationMs(ZERO_DURATION), 0);
  assert.equal(durationMs({ seconds: 1, nanos: 500_000_000 }), 1500);
  assert.equal(durationMs({ nanos: 250_000 }), 0.25);
});

test('durationMs: int64 seconds as a string; negative or unreadable → absent (the caller applies the default)', () => {
  assert.equal(durationMs({ seconds: '3' } as unknown as Duration), 3000);
  assert.equal(durationMs({ seconds: -1 }), undefined);
  assert.equal(durationMs({ seconds: 'x' } as unknown as Duration), undefined);
});

test('toProtoDuration round-trips through durationMs', () => {
  assert.deepEqual(toProtoDuration(0), { seconds: 0, nanos: 0 });
  assert.deepEqual(toProtoDuration(1500), { seconds: 1, nanos: 500_000_000 });
  assert.deepEqual(toProtoDuration(0.5), { seconds: 0, nanos: 500_000 });
  for (const ms of [0, 1, 999, 1000, 2500, 86_400_000]) assert.equal(durationMs(toProtoDuration(ms)), ms);
});
