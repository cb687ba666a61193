/**
 * `--suppress CODE=RESOURCE`, istioctl analyze's syntax (istioctl/pkg/analyze/analyze.go): a
 * message code and a resource as `Kind name.namespace` (istioctl) or `Kind namespace/name` (how
 * Weft prints it), `*` matching any run of characters in the resource. Shared by `weft analyze`
 * and by `weft apply`, `weft up` and `weft control`, which print the loader's messages too.
 */
import type { Diagnostic } from './diagnostic.js';

/** One `--suppress` entry. */
export interface Suppression {
  /** A code (`IST0102`, `WFT0007`), matched exactly as istioctl does. */
  readonly code: string;
  /** `Kind namespace/name` (istioctl's `Kind name.namespace` form also matches), `*` wildcards allowed. */
  readonly resource: string;
}

/** Parses `CODE=Kind name`; undefined when there is no `=` or either side is empty. */
export function parseSuppression(text: string): Suppression | undefined {
  const parts = text.split('=');
  if (parts.length !== 2 || !parts[0]?.trim() || !parts[1]?.trim()) return undefined;
  return { code: parts[0].trim(), resource: parts[1].trim() };
}

/** Glob match where `*` matches any run of characters (istioctl's go-glob semantics). */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(text);
}

/** Whether a suppression silences a message: its code matches and so does its resource in either spelling. */
export function isSuppressed(m: Diagnostic, suppressions: readonly Suppression[]): boolean {
  const r = m.resource;
  if (!r || suppressions.length === 0) return false;
  const names = r.namespace ? [`${r.kind} ${r.namespace}/${r.name}`, `${r.kind} ${r.name}.${r.namespace}`] : [`${r.kind} ${r.name}`];
  return suppressions.some((s) => s.code === m.code && names.some((n) => globMatch(s.resource, n)));
}

/**
 * The messages `weft apply`, `weft up` and `weft control` print: suppressed ones dropped, except
 * errors, which refuse config and so are always said.
 */
export function unsuppressed<D extends Diagnostic>(messages: readonly D[], suppressions: readonly Suppression[]): D[] {
  return suppressions.length === 0 ? [...messages] : messages.filter((m) => m.level === 'Error' || !isSuppressed(m, suppressions));
}
