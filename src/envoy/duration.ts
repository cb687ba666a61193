/**
 * `google.protobuf.Duration` (`{seconds, nanos}`), the one place Weft converts it: to milliseconds,
 * the unit of every timer in the proxy, the simulator and `weft explain`, and from milliseconds when
 * the translator writes xDS. protobufjs may hand `seconds` over as a string or a Long-like object
 * (int64); a missing part is 0 (proto3 default). A negative or non-finite duration reads as absent,
 * so callers apply Envoy's default for the field: Envoy's own validation refuses negative durations
 * on the timeouts Weft reads (`validate.rules.duration.gte = 0s` in route_components.proto and
 * friends), and a timer cannot run backwards.
 */
import type { Duration } from './types/core.js';

/** Milliseconds of a Duration (fractional when nanos are not whole milliseconds); undefined when absent or invalid. */
export function durationMs(d: Duration | undefined | null): number | undefined {
  if (d === undefined || d === null) return undefined;
  const s = Number((d as { seconds?: unknown }).seconds ?? 0);
  const n = Number(d.nanos ?? 0);
  const ms = s * 1000 + n / 1e6;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Milliseconds as a Duration (`{seconds, nanos}` with nanos in [0, 1e9)), as xDS resources carry it. */
export function toProtoDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return { seconds, nanos };
}

/** The zero Duration, which Envoy reads as "disabled" on route timeouts (and "no timeout" on initial fetches). */
export const ZERO_DURATION: Duration = Object.freeze({ seconds: 0, nanos: 0 });
