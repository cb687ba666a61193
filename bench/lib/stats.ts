/** Small statistics and formatting helpers for benchmark reports. */

/** Median of a non-empty list (mean of the middle two for even lengths); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile of a list (p in 0–100); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Formats a number with `digits` decimals, or `—` for NaN/undefined. */
export function fmt(v: number | undefined, digits = 0): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v.toFixed(digits);
}

/** Thousands as `12.3k`. */
export function kilo(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${(v / 1000).toFixed(1)}k`;
}

/** `met` / `NOT MET` in bold. */
export function verdict(ok: boolean): string {
  return ok ? '**met**' : '**NOT MET**';
}
