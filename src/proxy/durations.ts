/**
 * `google.protobuf.Duration` (protobufjs object form, `{seconds, nanos}` with seconds possibly a
 * string or Long-like) to milliseconds, the unit every timer in the proxy uses.
 */
import type { Duration } from '../envoy/types.js';

/** Milliseconds of a Duration; undefined when the field is absent (so callers apply defaults). */
export function durationMs(d: Duration | undefined | null): number | undefined {
  if (d === undefined || d === null) return undefined;
  const s = Number((d as { seconds?: unknown }).seconds ?? 0);
  const n = Number(d.nanos ?? 0);
  const ms = s * 1000 + n / 1e6;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
