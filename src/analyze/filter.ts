/**
 * Which messages `weft analyze` reports, with istioctl's rules: messages about resources outside
 * the analyzed namespace are dropped (cluster-scoped resources and file-level messages stay),
 * resources annotated `galley.istio.io/analyze-suppress: CODE[,CODE]` (or `*`) drop those codes,
 * and `--suppress CODE=Kind name` entries (with `*` wildcards) drop matching messages.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import type { MeshSnapshot } from '../model/snapshot.js';

/** One `--suppress` entry. */
export interface Suppression {
  readonly code: string;
  /** `Kind namespace/name` (istioctl's older `Kind name.namespace` form also matches), `*` wildcards allowed. */
  readonly resource: string;
}

/** The annotation istioctl honours to silence codes on one resource. */
export const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

/** Parses `CODE=Kind name`; undefined when there is no `=` or either side is empty. */
export function parseSuppression(text: string): Suppression | undefined {
  const parts = text.split('=');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { code: parts[0].trim(), resource: parts[1].trim() };
}

/** Glob match where `*` matches any run of characters (istioctl's go-glob semantics). */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(text);
}

/** Filtering options. */
export interface FilterOptions {
  /** Namespace whose messages are kept; undefined keeps all namespaces. */
  readonly namespace?: string;
  readonly suppressions: readonly Suppression[];
  /** Snapshot to read suppression annotations from. */
  readonly snapshot?: MeshSnapshot;
}

/** Applies the namespace filter, annotations and suppressions. */
export function filterMessages(messages: readonly Diagnostic[], opts: FilterOptions): Diagnostic[] {
  return messages.filter((m) => {
    const r = m.resource;
    if (!r) return true;
    if (opts.namespace !== undefined && r.namespace !== '' && r.namespace !== opts.namespace) return false;
    const annotation = opts.snapshot?.get(r.kind, r.namespace, r.name)?.metadata.annotations?.[SUPPRESS_ANNOTATION];
    if (annotation && annotation.split(',').map((c) => c.trim()).some((c) => c === '*' || c === m.code)) return false;
    const names = r.namespace ? [`${r.kind} ${r.namespace}/${r.name}`, `${r.kind} ${r.name}.${r.namespace}`] : [`${r.kind} ${r.name}`];
    return !opts.suppressions.some((s) => s.code === m.code && names.some((n) => globMatch(s.resource, n)));
  });
}
