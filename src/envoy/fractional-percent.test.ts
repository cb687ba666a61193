import { test } from 'node:test';
import assert from 'node:assert/strict';
import { denominatorOf, fractionHit, fractionHitAt, fractionPercent, integerPercentToFraction, percentToFraction } from './fractional-percent.js';

test('fractionHit: denominators, bounds, absent percentage', () => {
  assert.equal(fractionHit(undefined, true), true);
  assert.equal(fractionHit(undefined, false), false);
  assert.equal(fractionHit({ numerator: 0 }, true), false);
  assert.equal(fractionHit({ numerator: 100 }, false), true);
  assert.equal(fractionHit({ numerator: 150 }, false, () => 0.99), true);
  assert.equal(fractionHit({ numerator: 500_000, denominator: 'MILLION' }, false, () => 0.49), true);
  assert.equal(fractionHit({ numerator: 500_000, denominator: 'MILLION' }, false, () => 0.5), false);
  assert.equal(fractionHit({ numerator: 1, denominator: 'TEN_THOUSAND' }, false, () => 0.00009), true);
});

test('fractionHitAt samples like fractionHit with the value drawn', () => {
  for (const fp of [{ numerator: 0 }, { numerator: 30 }, { numerator: 100 }, { numerator: 250 }, { numerator: 7, denominator: 'TEN_THOUSAND' as const }]) {
    for (const r of [0, 0.0006, 0.29, 0.3, 0.5, 0.9999]) assert.equal(fractionHitAt(fp, false, r), fractionHit(fp, false, () => r), `${JSON.stringify(fp)} at ${r}`);
  }
  assert.equal(fractionHitAt(undefined, true, 0.5), true);
});

test('fractionPercent: share in [0, 100], absent as the caller says', () => {
  assert.equal(denominatorOf({}), 100);
  assert.equal(fractionPercent(undefined, 100), 100);
  assert.equal(fractionPercent(undefined, 0), 0);
  assert.equal(fractionPercent({}, 100), 0);
  assert.equal(fractionPercent({ numerator: 25 }, 0), 25);
  assert.equal(fractionPercent({ numerator: 1, denominator: 'TEN_THOUSAND' }, 0), 0.01);
  assert.equal(fractionPercent({ numerator: 333_333, denominator: 'MILLION' }, 0), 33.3333);
  assert.equal(fractionPercent({ numerator: 150 }, 0), 100, 'a numerator above the denominator is every request');
  assert.equal(fractionPercent({ numerator: -5 }, 0), 0);
});

test("Istio's percentages as istiod writes them", () => {
  assert.deepEqual(percentToFraction(12.5), { numerator: 125_000, denominator: 'MILLION' });
  assert.deepEqual(integerPercentToFraction(100), { numerator: 100 });
  assert.equal(fractionPercent(percentToFraction(0.01), 0), 0.01);
});
