/**
 * Istio duration strings (`0.5s`, `500ms`) to Envoy Durations, the way istiod converts them. The
 * Envoy side (Duration ↔ milliseconds, the zero Duration, FractionalPercents) is `src/envoy/duration.ts`
 * and `src/envoy/fractional-percent.ts`.
 */
import { parseDuration } from '../../config/duration.js';
import { toProtoDuration } from '../../envoy/duration.js';
import type { Duration } from '../../envoy/types/core.js';

/** Converts an Istio duration string; undefined when absent or unparsable (validation rejects those). */
export function convertDuration(text: string | undefined): Duration | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : toProtoDuration(ms);
}
