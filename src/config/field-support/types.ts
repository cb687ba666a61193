/**
 * The vocabulary of the field-support registry: for each kind and field path, either `enforced`
 * (Weft does what Istio does with it, and a named test proves it) or `unsupported` (accepted, so
 * valid Istio YAML still loads, but not acted on: every use is warned about as WFT0100).
 */

/** A test that proves a field is enforced: its file (from the repository root) and its exact name. */
export interface TestRef {
  readonly file: string;
  readonly name: string;
}

/** What Weft does with one field. */
export type FieldSupport =
  | {
      readonly status: 'enforced';
      /** The test that proves it; absent when no test proves it yet (the generated doc says so). */
      readonly test?: TestRef;
      /** How Weft enforces it, when that differs from the obvious (e.g. "mapped to percentage"). */
      readonly note?: string;
    }
  | {
      /** Accepted by the schema but refused with an error, as Istio's own webhook refuses it. */
      readonly status: 'refused';
      readonly reason: string;
    }
  | {
      readonly status: 'unsupported';
      /** What the user reads in the WFT0100 warning: why the field does nothing here. */
      readonly reason: string;
    };

/** Field path → support, e.g. `spec.http[].corsPolicy.maxAge` → unsupported. */
export type FieldTable = Readonly<Record<string, FieldSupport>>;

/** The registry's entry for one kind. */
export interface KindSupport {
  readonly kind: string;
  readonly fields: FieldTable;
  /**
   * For Kubernetes kinds only: fields of the schema with no entry are accepted and deliberately
   * ignored for this reason (e.g. a Deployment's `image`: Weft runs local processes), without a
   * warning on every manifest. Istio kinds never have this: each of their fields needs a decision.
   */
  readonly otherFields?: { readonly reason: string };
}

/** An enforced field and the test that proves it. */
export function enforced(file: string, name: string, note?: string): FieldSupport {
  return { status: 'enforced', test: { file, name }, ...(note ? { note } : {}) };
}

/** An enforced field no test proves yet (listed as such in docs/istio-coverage.md). */
export function enforcedUntested(note?: string): FieldSupport {
  return { status: 'enforced', ...(note ? { note } : {}) };
}

/** A field Istio's webhook itself refuses (and so does Weft, with the same error). */
export function refused(reason: string): FieldSupport {
  return { status: 'refused', reason };
}

/** A field accepted but not acted on: `reason` is what the user reads. */
export function unsupported(reason: string): FieldSupport {
  return { status: 'unsupported', reason };
}

/** Mounts a table of relative paths (`connectionPool.tcp.maxConnections`) under a prefix (`spec.trafficPolicy`). */
export function under(prefix: string, table: FieldTable): Record<string, FieldSupport> {
  const out: Record<string, FieldSupport> = {};
  for (const [k, v] of Object.entries(table)) out[`${prefix}.${k}`] = v;
  return out;
}

/** The same support for several paths. */
export function each(paths: readonly string[], support: FieldSupport): Record<string, FieldSupport> {
  const out: Record<string, FieldSupport> = {};
  for (const p of paths) out[p] = support;
  return out;
}
