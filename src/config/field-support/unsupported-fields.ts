/**
 * Warnings for unsupported fields: whenever a loaded resource sets a field the registry marks
 * `unsupported`, one WFT0100 (UnsupportedField) warning at the field's file:line with the reason.
 * The loader calls this for every resource that passed validation, so `weft analyze`, `weft apply`,
 * `weft up` and `weft control` all report them with the loader's other diagnostics, and
 * `--suppress WFT0100` silences them as istioctl's `--suppress` does for its codes.
 */
import type { ZodType } from 'zod';
import type { Diagnostic, ResourceKey, SourceRef } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import type { KindInfo } from '../kind-info.js';
import { setFields, type PathSegment } from './schema-paths.js';
import { fieldSupport } from './registry.js';

/** Stable code of the warning (Weft's range WFT0100–WFT0109 belongs to field support). */
export const UNSUPPORTED_FIELD = 'WFT0100';

/** One unsupported field set in a resource. */
export interface UnsupportedUse {
  /** Registry path (`spec.http[].corsPolicy.maxAge`). */
  readonly path: string;
  /** Where in the document (`['spec','http',0,'corsPolicy','maxAge']`). */
  readonly at: readonly PathSegment[];
  readonly reason: string;
}

/**
 * The unsupported fields set in a resource's raw content (as the user wrote it, before deprecated
 * fields are mapped), for kinds with a structural schema.
 */
export function unsupportedFieldsIn(info: Pick<KindInfo, 'kind' | 'content' | 'schema'>, content: unknown): UnsupportedUse[] {
  const schema: ZodType | undefined = info.schema;
  if (!schema) return [];
  const spec = info.content === 'spec';
  const out: UnsupportedUse[] = [];
  for (const f of setFields(schema, content, spec ? 'spec' : '', spec ? ['spec'] : [])) {
    const s = fieldSupport(info.kind, f.path);
    if (s?.status === 'unsupported') out.push({ path: f.path, at: f.at, reason: s.reason });
  }
  return out;
}

/** The WFT0100 diagnostics for a resource, each located by `locate`. */
export function unsupportedFieldDiagnostics(
  info: Pick<KindInfo, 'kind' | 'content' | 'schema'>,
  content: unknown,
  locate: (path: readonly PathSegment[]) => SourceRef,
  resource: ResourceKey,
): Diagnostic[] {
  return unsupportedFieldsIn(info, content).map((u) => ({
    code: UNSUPPORTED_FIELD,
    level: 'Warning' as const,
    message: `UnsupportedField: ${formatPath(u.at)} is accepted but not enforced by Weft: ${u.reason}`,
    source: locate(u.at),
    resource,
    field: formatPath(u.at),
  }));
}
