/**
 * Envoy's `FractionalPercent` (numerator over HUNDRED, TEN_THOUSAND or MILLION) as a per-request
 * coin: `random() × denominator < numerator`, the way Envoy's runtime `featureEnabled` samples it.
 * Used by the fault filter and request mirroring.
 */
import type { FractionalPercent } from '../envoy/types.js';

/** The denominator of a FractionalPercent (missing = HUNDRED). */
export function denominatorOf(fp: FractionalPercent): number {
  switch (fp.denominator) {
    case 'MILLION':
      return 1_000_000;
    case 'TEN_THOUSAND':
      return 10_000;
    default:
      return 100;
  }
}

/** True with the probability `fp` describes; undefined `fp` → `absent` (true = 100 %). */
export function fractionHit(fp: FractionalPercent | undefined, absent: boolean, random: () => number = Math.random): boolean {
  if (fp === undefined) return absent;
  const num = fp.numerator ?? 0;
  if (num <= 0) return false;
  const den = denominatorOf(fp);
  if (num >= den) return true;
  return Math.floor(random() * den) < num;
}
