/**
 * Which messages `weft analyze` reports, with istioctl's rules: messages about resources outside
 * the analyzed namespace are dropped (cluster-scoped resources and file-level messages stay),
 * resources annotated `galley.istio.io/analyze-suppress: CODE[,CODE]` (or `*`) drop those codes,
 * and `--suppress CODE=Kind name` entries (with `*` wildcards) drop matching messages.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import type { MeshSnapshot } from '../model/snapshot.js';

import { globMatch, isSuppressed, parseSuppression, type Suppression } from '../config/suppression.js';

// `--suppress` parsing and matching live in config/suppression.ts (apply, up and control use them too).
export { globMatch, parseSuppression, type Suppression };

/** The annotation istioctl honours to silence codes on one resource. */
export const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

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
    return !isSuppressed(m, opts.suppressions);
  });
}
