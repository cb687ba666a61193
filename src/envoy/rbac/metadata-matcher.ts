/**
 * Envoy's `MetadataMatcher` and `ValueMatcher` over a request's dynamic metadata, compiled once.
 *
 * Dynamic metadata is kept as plain JSON per filter namespace (`envoy.filters.http.jwt_authn`,
 * `istio_authn`, `envoy.filters.http.rbac`, …), the equivalent of Envoy's `Struct`s. Semantics
 * (Envoy `Matchers::MetadataMatcher` / `ValueMatcher`): the path walks nested objects; a missing
 * value matches only `presentMatch: false`; `nullMatch` needs an explicit null; `stringMatch`,
 * `doubleMatch`, `boolMatch` need a value of that type; `listMatch.oneOf` needs a list with one
 * matching element; `orMatch` matches when any member does; `invert` negates the result.
 */
import { EnvoyConfigError, EnvoyConfigErrorCode } from '../errors.js';
import { compileStringMatcher } from '../string-matcher.js';
import type { MetadataMatcher, ValueMatcher } from './types.js';

/** A JSON value in dynamic metadata. */
export type MetadataValue = string | number | boolean | null | readonly MetadataValue[] | { readonly [key: string]: MetadataValue };

/** Dynamic metadata of one request: a JSON object per filter namespace. */
export type DynamicMetadata = Readonly<Record<string, Readonly<Record<string, MetadataValue>>>>;

/** A compiled value predicate; `undefined` is a missing value. */
export type ValuePredicate = (v: MetadataValue | undefined) => boolean;

/** A compiled metadata predicate. */
export type MetadataPredicate = (md: DynamicMetadata) => boolean;

/** Compiles a ValueMatcher; throws EnvoyConfigError when none of its members is set. */
export function compileValueMatcher(m: ValueMatcher | undefined, where: string): ValuePredicate {
  if (!m) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'value matcher is required');
  if (m.nullMatch !== undefined) return (v) => v === null;
  if (m.presentMatch !== undefined) {
    const want = m.presentMatch;
    return (v) => (v !== undefined) === want;
  }
  if (m.stringMatch !== undefined) {
    const test = compileStringMatcher(m.stringMatch, `${where}.stringMatch`);
    return (v) => typeof v === 'string' && test(v);
  }
  if (m.boolMatch !== undefined) {
    const want = m.boolMatch;
    return (v) => v === want;
  }
  if (m.doubleMatch !== undefined) {
    const d = m.doubleMatch;
    if (d.exact !== undefined) {
      const want = d.exact;
      return (v) => v === want;
    }
    const start = d.range?.start ?? 0;
    const end = d.range?.end ?? 0;
    return (v) => typeof v === 'number' && v >= start && v < end;
  }
  if (m.listMatch !== undefined) {
    const one = compileValueMatcher(m.listMatch.oneOf, `${where}.listMatch.oneOf`);
    return (v) => Array.isArray(v) && v.some((x: MetadataValue) => one(x));
  }
  if (m.orMatch !== undefined) {
    const all = (m.orMatch.valueMatchers ?? []).map((x, i) => compileValueMatcher(x, `${where}.orMatch.valueMatchers[${i}]`));
    if (all.length < 2) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.orMatch`, 'orMatch needs at least 2 value matchers');
    return (v) => all.some((p) => p(v));
  }
  throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'one of nullMatch, doubleMatch, stringMatch, boolMatch, presentMatch, listMatch or orMatch is required');
}

/** Looks a path up in one filter namespace; undefined when any step is missing. */
export function metadataLookup(md: DynamicMetadata, filter: string, path: readonly string[]): MetadataValue | undefined {
  let cur: MetadataValue | undefined = md[filter];
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    const obj = cur as { readonly [key: string]: MetadataValue };
    cur = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  }
  return cur;
}

/** Compiles a MetadataMatcher. */
export function compileMetadataMatcher(m: MetadataMatcher, where: string): MetadataPredicate {
  const filter = m.filter ?? '';
  if (filter === '') throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.filter`, 'metadata filter is required');
  const path = (m.path ?? []).map((s, i) => {
    if (!s.key) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.path[${i}]`, 'path segment key is required');
    return s.key;
  });
  if (path.length === 0) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.path`, 'metadata path needs at least one segment');
  const value = compileValueMatcher(m.value, `${where}.value`);
  const invert = m.invert === true;
  return (md) => value(metadataLookup(md, filter, path)) !== invert;
}
