/**
 * Durations as Istio's YAML writes them: protobuf JSON form (`1.5s`) and Go's form (`500ms`, `1h30m`),
 * both accepted by Istio's CRD validation. Parsed to milliseconds (fractions kept) for everything downstream.
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses `1.5s`, `500ms`, `1h30m`, `0s`; returns undefined for anything else (negative durations included). */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  if (text === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched++;
  }
  return matched > 0 ? total : undefined;
}
