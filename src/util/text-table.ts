/**
 * Plain-text tables as kubectl and istioctl print them (`weft get`, `weft proxy-status`,
 * `weft proxy-config`, the live status of `weft up`): shared below the CLI so `up/` can print one.
 */

/** Formats rows as a left-aligned table with three spaces between columns, as kubectl prints. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
