/**
 * Secrets as the HTTP API shows them: names, type and data keys, never values. Kubernetes' own API
 * returns values to anyone allowed to `get` a Secret; Weft's API has one credential for everything
 * (config writes, proxy status), so it withholds values from every answer, as `kubectl describe
 * secret` does (it prints `key: N bytes`). The value of every `data`/`stringData` key becomes the
 * empty string, and the annotation {@link REDACTED_ANNOTATION} says so with each key's size
 * (`values withheld: tls.crt 1164 bytes, tls.key 1704 bytes`).
 * `kubectl.kubernetes.io/last-applied-configuration` (a full copy of the object) is dropped.
 *
 * A redacted manifest applied back would wipe the Secret, so the API refuses any apply carrying the
 * annotation ({@link findRedactedSecrets}).
 */

import { loadTexts } from '../config/load.js';
import { REDACTED_SECRET_ANNOTATION } from '../config/schema/kubernetes.js';

/** Annotation marking a Secret whose values the API withheld. */
export const REDACTED_ANNOTATION = REDACTED_SECRET_ANNOTATION;

/** Annotation kubectl stores a full copy of an applied object in. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A manifest (toManifest's output) with a Secret's values withheld; other kinds are returned as is. */
export function redactManifest(m: Record<string, unknown>): Record<string, unknown> {
  if (m.kind !== 'Secret') return m;
  const data = (m.data ?? {}) as Record<string, string>;
  const stringData = (m.stringData ?? {}) as Record<string, string>;
  const sizes: string[] = [];
  const redacted: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    redacted[k] = '';
    sizes.push(`${k} ${typeof v === 'string' ? Buffer.byteLength(v.replace(/[\r\n]/g, ''), 'base64') : 0} bytes`);
  }
  for (const [k, v] of Object.entries(stringData)) {
    if (k in redacted) continue;
    redacted[k] = '';
    sizes.push(`${k} ${typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0} bytes`);
  }
  const metadata = { ...((m.metadata ?? {}) as Record<string, unknown>) };
  const annotations = { ...((metadata.annotations ?? {}) as Record<string, string>) };
  delete annotations[LAST_APPLIED];
  annotations[REDACTED_ANNOTATION] = `values withheld${sizes.length > 0 ? `: ${sizes.join(', ')}` : ''}`;
  metadata.annotations = annotations;
  const { stringData: _dropped, ...rest } = m;
  return { ...rest, metadata, data: redacted };
}

/** `data` keys of a (redacted or not) Secret manifest, in order. */
export function secretKeys(m: { data?: unknown; stringData?: unknown }): string[] {
  return [...new Set([...Object.keys((m.data ?? {}) as object), ...Object.keys((m.stringData ?? {}) as object)])];
}

/**
 * `namespace/name` of every Secret in `files` that carries {@link REDACTED_ANNOTATION}: a manifest
 * printed by `weft get secret -o yaml` applied back, whose empty values would replace the real ones.
 */
export function findRedactedSecrets(files: readonly { file: string; text: string }[]): string[] {
  // Only texts that mention the annotation are parsed a second time.
  const candidates = files.filter((f) => f.text.includes(REDACTED_ANNOTATION));
  if (candidates.length === 0) return [];
  return loadTexts(candidates)
    .resources.filter((r) => r.kind === 'Secret' && r.metadata.annotations?.[REDACTED_ANNOTATION] !== undefined)
    .map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
}
