/**
 * Envoy's `StringMatcher` and `RegexMatcher`, compiled once into predicates.
 *
 * Semantics (Envoy `envoy.type.matcher.v3`): `safeRegex` is RE2 matched against the WHOLE input
 * (RE2::FullMatch, not a search); `ignoreCase` makes exact/prefix/suffix/contains ASCII
 * case-insensitive (absl's AsciiStrToLower: only A–Z fold) and has no effect on `safeRegex`.
 * Envoy's RE2 program-size limit (`re2.max_program_size.error_level`, default 100) is not
 * enforced: the `re2` binding does not expose program size.
 */
import RE2 from 're2';
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import type { RegexMatcher, StringMatcher } from './types.js';

/** A compiled string predicate. */
export type StringPredicate = (value: string) => boolean;

/** A compiled RE2 regular expression (the `re2` package's object). */
export type Re2 = RE2;

/** Compiles an RE2 pattern as written (for searching / replacing); throws EnvoyConfigError. */
export function compileRe2(pattern: string | undefined, where: string, flags = ''): Re2 {
  if (typeof pattern !== 'string') {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidRegex, where, 'regex is required');
  }
  try {
    return new RE2(pattern, flags);
  } catch (cause) {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidRegex, where, `invalid RE2 regex ${JSON.stringify(pattern)}: ${(cause as Error).message}`, { cause });
  }
}

/** Compiles a RegexMatcher into a full-match predicate (the whole input must match). */
export function compileRegexMatcher(m: RegexMatcher | undefined, where: string): StringPredicate {
  const pattern = m?.regex;
  // Validate the pattern on its own first: wrapping can make an unbalanced pattern look valid.
  compileRe2(pattern, where);
  const anchored = compileRe2(`^(?:${pattern})$`, where);
  return (value: string) => anchored.test(value);
}

/** Compiles a StringMatcher into a predicate; throws EnvoyConfigError when no specifier is set. */
export function compileStringMatcher(m: StringMatcher | undefined, where = 'stringMatch'): StringPredicate {
  if (!m) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'string matcher is required');
  const ic = m.ignoreCase === true;
  if (m.exact !== undefined) {
    const want = m.exact;
    if (!ic) return (v) => v === want;
    const lower = asciiLower(want);
    return (v) => v.length === lower.length && startsWithIgnoreCase(v, lower, 0);
  }
  if (m.prefix !== undefined) {
    const want = m.prefix;
    if (!ic) return (v) => v.startsWith(want);
    const lower = asciiLower(want);
    return (v) => startsWithIgnoreCase(v, lower, 0);
  }
  if (m.suffix !== undefined) {
    const want = m.suffix;
    if (!ic) return (v) => v.endsWith(want);
    const lower = asciiLower(want);
    return (v) => v.length >= lower.length && startsWithIgnoreCase(v, lower, v.length - lower.length);
  }
  if (m.contains !== undefined) {
    const want = m.contains;
    if (!ic) return (v) => v.includes(want);
    const lower = asciiLower(want);
    return (v) => asciiLower(v).includes(lower);
  }
  if (m.safeRegex !== undefined) return compileRegexMatcher(m.safeRegex, `${where}.safeRegex`);
  if (m.custom !== undefined) {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.Unsupported, `${where}.custom`, 'custom string matchers are not supported');
  }
  throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'one of exact, prefix, suffix, safeRegex or contains is required');
}

/** Lower-cases ASCII letters only, as absl::AsciiStrToLower does (returns the input when unchanged). */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return asciiLowerFrom(s, i);
  }
  return s;
}

function asciiLowerFrom(s: string, start: number): string {
  let out = s.slice(0, start);
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[i];
  }
  return out;
}

/**
 * True when `s`, from `offset`, starts with `lowerPrefix` ignoring ASCII case. `lowerPrefix` must
 * already be ASCII-lower-cased. Allocates nothing.
 */
export function startsWithIgnoreCase(s: string, lowerPrefix: string, offset: number): boolean {
  const n = lowerPrefix.length;
  if (offset < 0 || s.length - offset < n) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(offset + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}
