/**
 * The differential test of Weft's request parser against llhttp: each case's bytes are parsed by
 * both; Weft must never accept what llhttp refuses, and whatever Weft accepts must parse
 * identically in llhttp (method, target, version, header fields, body bytes, trailers, message
 * boundaries, where a tunnel starts). Weft may refuse more (it is stricter where codec-guard.ts is
 * and RFC 9112 asks), and may close where llhttp keeps alive, never the reverse. A subset of
 * cases is also fed split at every byte boundary and one byte at a time, which must not change
 * Weft's result. Used by the unit test (`differential.test.ts`) and the benchmark. Test support.
 */
import { isDeepStrictEqual } from 'node:util';
import { LlhttpOracle } from './llhttp-oracle.js';
import type { ParseOutcome, ParsedMessage } from './parsed-request.js';
import { caseSeed, generateCase } from './request-generator.js';
import { parseWithWeft } from './weft-driver.js';

/** A case where the parsers disagree. */
export interface Mismatch {
  readonly seed: number;
  readonly index: number;
  /** The input, JSON-escaped latin1. */
  readonly input: string;
  readonly why: string;
  readonly weft: ParseOutcome;
  readonly llhttp: ParseOutcome;
}

/** Counts of a run. */
export interface DifferentialResult {
  readonly cases: number;
  /** Cases Weft parsed completely (ok, upgrade or closed). */
  readonly accepted: number;
  /** Cases Weft refused. */
  readonly refused: number;
  /** Cases llhttp refused. */
  readonly llhttpRefused: number;
  /** Cases also checked split at every byte boundary. */
  readonly splitCases: number;
  readonly mismatch?: Mismatch;
}

/** Compares two messages; returns why they differ, or undefined. */
function messageDiff(w: ParsedMessage, l: ParsedMessage): string | undefined {
  for (const k of ['method', 'target', 'versionMinor', 'body', 'upgrade'] as const) {
    if (w[k] !== l[k]) return `${k}: weft ${JSON.stringify(w[k])} llhttp ${JSON.stringify(l[k])}`;
  }
  if (!isDeepStrictEqual(w.rawHeaders, l.rawHeaders)) return `headers: weft ${JSON.stringify(w.rawHeaders)} llhttp ${JSON.stringify(l.rawHeaders)}`;
  if (!isDeepStrictEqual(w.trailers, l.trailers)) return `trailers: weft ${JSON.stringify(w.trailers)} llhttp ${JSON.stringify(l.trailers)}`;
  if (w.keepAlive && !l.keepAlive) return 'weft keeps alive a connection llhttp closes';
  return undefined;
}

/** Why Weft's outcome is not allowed given llhttp's, or undefined (see the module comment). */
export function compareOutcomes(w: ParseOutcome, l: ParseOutcome): string | undefined {
  const n = w.messages.length;
  if (l.messages.length < n) return `weft parsed ${n} messages, llhttp ${l.messages.length} (${l.end}${l.code ? ` ${l.code}` : ''})`;
  for (let i = 0; i < n; i++) {
    const d = messageDiff(w.messages[i]!, l.messages[i]!);
    if (d !== undefined) return `message ${i}: ${d}`;
  }
  switch (w.end) {
    case 'error':
      return undefined;
    case 'closed':
      // Weft stopped at a message that closes the connection; llhttp must agree on it or keep it alive.
      return undefined;
    case 'upgrade':
      if (l.end !== 'upgrade' || l.messages.length !== n || l.offset !== w.offset) return `weft upgraded at ${w.offset}, llhttp ${l.end} at ${l.offset}`;
      return undefined;
    case 'ok':
      if (l.end !== 'ok' || l.messages.length !== n) return `weft accepted ${n} messages, llhttp ${l.end}${l.code ? ` ${l.code}` : ''} after ${l.messages.length}`;
      return undefined;
  }
}

/** Summary of an outcome for comparing split feeds with the whole (error codes may differ with the split). */
function shape(o: ParseOutcome): unknown {
  return { messages: o.messages, end: o.end, offset: o.offset };
}

/** Runs `cases` cases from `seed`, stopping at the first mismatch. `splitEvery`: every n-th case is also split. */
export function runDifferential(opts: { seed: number; cases: number; splitEvery?: number; first?: number }): DifferentialResult {
  const oracle = new LlhttpOracle();
  const splitEvery = opts.splitEvery ?? 100;
  let accepted = 0;
  let refused = 0;
  let llhttpRefused = 0;
  let splitCases = 0;
  const first = opts.first ?? 0;
  for (let index = first; index < first + opts.cases; index++) {
    const input = generateCase(caseSeed(opts.seed, index));
    const w = parseWithWeft([input]);
    const l = oracle.parse(input);
    if (w.end === 'error') refused++;
    else accepted++;
    if (l.end === 'error') llhttpRefused++;
    const fail = (why: string, weft: ParseOutcome): DifferentialResult => ({
      cases: index - first + 1, accepted, refused, llhttpRefused, splitCases,
      mismatch: { seed: opts.seed, index, input: JSON.stringify(input.toString('latin1')), why, weft, llhttp: l },
    });
    const why = compareOutcomes(w, l);
    if (why !== undefined) return fail(why, w);
    if (splitEvery > 0 && index % splitEvery === 0) {
      splitCases++;
      const whole = shape(w);
      for (let i = 1; i < input.length; i++) {
        const s = parseWithWeft([input.subarray(0, i), input.subarray(i)]);
        if (!isDeepStrictEqual(shape(s), whole)) return fail(`split at byte ${i} parses differently from the whole input`, s);
      }
      const bytes = parseWithWeft([...input].map((b) => Buffer.from([b])));
      if (!isDeepStrictEqual(shape(bytes), whole)) return fail('one byte at a time parses differently from the whole input', bytes);
    }
  }
  return { cases: opts.cases, accepted, refused, llhttpRefused, splitCases };
}
