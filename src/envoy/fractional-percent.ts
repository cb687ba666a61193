/**
 * Envoy's `envoy.type.v3.FractionalPercent` (a numerator over HUNDRED, TEN_THOUSAND or MILLION), the
 * one place Weft reads it: the proxy samples it per request (fault filter, mirrors, CORS enablement,
 * route `runtimeFraction` matches), the simulator and `weft explain` report it as a percentage, and
 * the translator writes it from Istio's percentages. Sampling follows Envoy's
 * `ProtobufPercentHelper::evaluateFractionalPercent` (source/common/protobuf/utility.cc):
 * `random % denominator < numerator`, so a numerator at or above the denominator is 100 % and 0 is
 * never; Weft has no runtime, so a `RuntimeFractionalPercent` is its `defaultValue`.
 */
import type { FractionalPercent } from './types/core.js';

/** The denominator of a FractionalPercent as a number (missing = HUNDRED, the proto default). */
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

/**
 * True with the probability `fp` describes: `floor(random() × denominator) < numerator`. An
 * undefined `fp` answers `absent` (callers pass Envoy's default for the field: true where a missing
 * fraction means 100 %, e.g. a mirror's `runtimeFraction`, false where it means the proto default 0,
 * e.g. a fault's `percentage`).
 */
export function fractionHit(fp: FractionalPercent | undefined, absent: boolean, random: () => number = Math.random): boolean {
  if (fp === undefined) return absent;
  const num = fp.numerator ?? 0;
  if (num <= 0) return false;
  const den = denominatorOf(fp);
  if (num >= den) return true;
  return Math.floor(random() * den) < num;
}

/** {@link fractionHit} for a random value already drawn (`r` uniform in [0, 1)), as route `runtimeFraction` matches use it. */
export function fractionHitAt(fp: FractionalPercent | undefined, absent: boolean, r: number): boolean {
  if (fp === undefined) return absent;
  const num = fp.numerator ?? 0;
  return num > 0 && Math.floor(r * denominatorOf(fp)) < num;
}

/**
 * The share of requests `fp` selects, as a percentage in [0, 100] rounded to 4 decimals (what
 * {@link fractionHit} samples: a numerator above the denominator is 100 %). An undefined `fp` is
 * `absent` percent (100 for a mirror's missing fraction, 0 for a fault's missing percentage).
 */
export function fractionPercent(fp: FractionalPercent | undefined, absent: 0 | 100): number {
  if (fp === undefined) return absent;
  const num = Math.max(0, fp.numerator ?? 0);
  const den = denominatorOf(fp);
  const pct = (Math.min(num, den) / den) * 100;
  return Math.round(pct * 10_000) / 10_000;
}

/**
 * Istio's `Percent {value}` (0–100, fractional) as a FractionalPercent over a million, as istiod's
 * `translatePercentToFractionalPercent` writes it (pilot/pkg/networking/core/route/route.go).
 */
export function percentToFraction(value: number): FractionalPercent {
  return { numerator: Math.round(value * 10_000), denominator: 'MILLION' };
}

/** An integer percentage as a FractionalPercent over a hundred (HUNDRED is the proto default, so omitted), as istiod's `translateIntegerToFractionalPercent`. */
export function integerPercentToFraction(value: number): FractionalPercent {
  return { numerator: value };
}
