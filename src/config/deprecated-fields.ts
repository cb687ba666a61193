/**
 * Deprecated fields, one table keyed by kind and field path, with the code and message Istio gives
 * (issue 12, Deliver 4): istioctl analyze reports fields istio/api marks deprecated either as
 * IST0002 Deprecated (its deprecation analyzer, `pkg/config/analysis/analyzers/deprecation`:
 * "X is deprecated; use Y", "X ignored") or, where Istio's validation webhook warns about them,
 * as IST0133 SchemaWarning ("Schema validation warning: …", `pkg/config/validation`).
 *
 * Add a row to {@link DEPRECATED_FIELDS} to warn about a field: the loader reports every row whose
 * field a resource sets, at the field's file:line, with the resource (so `--suppress` applies), in
 * `weft analyze`, `weft apply`, `weft up` and `weft control` alike. Rows name the field either by
 * its exact registry path (`spec.http[].fault.delay.percent`, as in field-support/kinds/*) or by a
 * path suffix that matches it wherever it appears (`outlierDetection.consecutiveErrors` under the
 * top-level, subset and port-level traffic policies).
 *
 * Deprecated fields whose warning the schema already gives while mapping them to their replacement
 * (`warnDeprecated` in schema/networking-common.ts: `delay.percent`, `mirrorPercent`,
 * `corsPolicy.allowOrigin`, `consistentHash.minimumRingSize`) are not repeated here.
 */
import type { ZodType } from 'zod';
import type { Diagnostic, ResourceKey, SourceRef } from './diagnostic.js';
import { formatPath } from './diagnostic.js';
import type { KindInfo } from './kind-info.js';
import { setFields, type PathSegment } from './field-support/schema-paths.js';

/** One deprecated field and what Istio says about it. */
export interface DeprecatedField {
  readonly kind: string;
  /** The exact registry path (`spec.trafficPolicy.outlierDetection.consecutiveErrors`) … */
  readonly path?: string;
  /** … or a suffix of it, matched at a `.` boundary (`outlierDetection.consecutiveErrors`). */
  readonly pathSuffix?: string;
  /** `IST0002` (Deprecated) or `IST0133` (SchemaWarning), as istioctl reports this field. */
  readonly code: 'IST0002' | 'IST0133';
  /** Istio's text, without the code's prefix (`Deprecated: ` / `Schema validation warning: ` is added). */
  readonly message: string;
}

/**
 * The table. Rows are added by the engineers who decide each field's handling (issue 12); the
 * loader needs no change for a new row.
 */
export const DEPRECATED_FIELDS: readonly DeprecatedField[] = [];

const PREFIX: Readonly<Record<DeprecatedField['code'], string>> = { IST0002: 'Deprecated: ', IST0133: 'Schema validation warning: ' };

function matches(row: DeprecatedField, kind: string, path: string): boolean {
  if (row.kind !== kind) return false;
  if (row.path !== undefined) return row.path === path;
  return row.pathSuffix !== undefined && (path === row.pathSuffix || path.endsWith(`.${row.pathSuffix}`));
}

/**
 * The deprecation warnings for one resource's raw content (as written), each at its field's
 * position; `table` defaults to {@link DEPRECATED_FIELDS}.
 */
export function deprecatedFieldDiagnostics(
  info: Pick<KindInfo, 'kind' | 'content' | 'schema'>,
  content: unknown,
  locate: (path: readonly PathSegment[]) => SourceRef,
  resource: ResourceKey,
  table: readonly DeprecatedField[] = DEPRECATED_FIELDS,
): Diagnostic[] {
  const schema: ZodType | undefined = info.schema;
  const rows = table.filter((r) => r.kind === info.kind);
  if (!schema || rows.length === 0) return [];
  const spec = info.content === 'spec';
  const out: Diagnostic[] = [];
  for (const f of setFields(schema, content, spec ? 'spec' : '', spec ? ['spec'] : [])) {
    const row = rows.find((r) => matches(r, info.kind, f.path));
    if (!row) continue;
    out.push({ code: row.code, level: 'Warning', message: `${PREFIX[row.code]}${row.message}`, source: locate(f.at), resource, field: formatPath(f.at) });
  }
  return out;
}
