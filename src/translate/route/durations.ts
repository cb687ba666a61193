/**
 * Istio duration strings (`0.5s`, `500ms`) to Envoy Durations, and Istio percentages to Envoy
 * FractionalPercents, the way istiod converts them (a Percent `value` becomes a numerator over a
 * million; an integer percent a numerator over a hundred).
 */
import { parseDuration, toProtoDuration } from '../../config/duration.js';
import type { Duration, FractionalPercent } from '../../envoy/types/core.js';

/** The zero Duration, which Envoy reads as "disabled" for route timeouts. */
export const ZERO_DURATION: Duration = Object.freeze({ seconds: 0, nanos: 0 });

/** Converts an Istio duration string; undefined when absent or unparsable (validation rejects those). */
export function convertDuration(text: string | undefined): Duration | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : toProtoDuration(ms);
}

/** Istio's `Percent {value}` (0–100, fractional) as a FractionalPercent over a million. */
export function percentToFraction(value: number): FractionalPercent {
  return { numerator: Math.round(value * 10_000), denominator: 'MILLION' };
}

/** An integer percentage as a FractionalPercent over a hundred (HUNDRED is the proto default, so omitted). */
export function integerPercentToFraction(value: number): FractionalPercent {
  return { numerator: value };
}
