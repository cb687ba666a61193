/**
 * httpbin's `/status/{codes}`: one code, or a comma-separated list from which one is chosen at
 * random, each optionally weighted as `code:weight` (`/status/200:0.9,503:0.1`), as httpbin does.
 */

/** One weighted choice. */
export interface StatusChoice {
  readonly code: number;
  readonly weight: number;
}

/** Parses a codes segment; undefined when any part is not a status code from 100 to 599 or a weight is invalid. */
export function parseStatusChoices(spec: string): StatusChoice[] | undefined {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.length > 50) return undefined;
  const out: StatusChoice[] = [];
  for (const part of parts) {
    const m = /^(\d{3})(?::(\d+(?:\.\d+)?))?$/.exec(part);
    if (!m) return undefined;
    const code = Number(m[1]);
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (code < 100 || code > 599 || !Number.isFinite(weight) || weight < 0) return undefined;
    out.push({ code, weight });
  }
  return out.some((c) => c.weight > 0) ? out : undefined;
}

/** Picks one code by weight; `random` returns a number in [0, 1). */
export function chooseStatus(choices: readonly StatusChoice[], random: () => number = Math.random): number {
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  let point = random() * total;
  for (const c of choices) {
    if (c.weight === 0) continue;
    if (point < c.weight) return c.code;
    point -= c.weight;
  }
  return choices.filter((c) => c.weight > 0).at(-1)!.code;
}
