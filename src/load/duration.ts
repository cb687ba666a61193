/**
 * Go-style durations, as fortio's `-t` and `-timeout` take them: `5s`, `1m30s`, `250ms`, `1.5h`,
 * `100us` / `100µs`, `10ns`; a bare number is seconds; `0` is zero (for `-t`: run until stopped).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration (or a bare number of seconds) into milliseconds; undefined when invalid or negative. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d*)?$|^\.\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

/** Formats milliseconds the way Go prints a time.Duration: `5s`, `1m30s`, `1.5s`, `250ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (!(ms > 0)) return '0s';
  if (ms < 1) {
    const us = ms * 1000;
    return us < 1 ? `${trim(us * 1000)}ns` : `${trim(us)}µs`;
  }
  if (ms < 1000) return `${trim(ms)}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const sec = `${trim(rest)}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
