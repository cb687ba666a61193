/**
 * What the loader needs to know about one kind: its group, versions, scope, and how to validate it.
 * The table of all kinds lives in `kinds.ts`; this file only fixes the interface.
 */
import type { ZodType } from 'zod';
import type { ObjectMeta } from './resource.js';

/** One problem found while validating a resource; the path is relative to the document root. */
export interface SchemaIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Errors reject the resource; warnings (deprecations, suspicious values) keep it. */
  readonly level: 'Error' | 'Warning';
  /** Stable code; defaults to IST0106 (SchemaValidationError) for errors and IST0002 (Deprecated) for warnings. */
  readonly code?: string;
}

/** Outcome of validating one resource's content. */
export interface ValidationResult<S> {
  /** The normalized content (deprecated fields mapped to their replacements); absent when any Error was found. */
  readonly spec?: S;
  readonly issues: readonly SchemaIssue[];
}

/** Describes one kind Weft accepts. */
export interface KindInfo<S = unknown> {
  readonly kind: string;
  /** API group, `` for the Kubernetes core group. */
  readonly group: string;
  /** Versions served, e.g. `['v1alpha3','v1beta1','v1']`. */
  readonly versions: readonly string[];
  /** Lower-case plural as kubectl prints it (`virtualservices`). */
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * Where the content lives: `'spec'` for kinds with a spec, or the list of top-level fields that
   * form the content (Endpoints: `['subsets']`). `status` is always accepted and ignored.
   */
  readonly content: 'spec' | readonly string[];
  /**
   * The structural schema of the content (a strict zod object), when the kind has one: the
   * field-support registry walks it to list every field path the kind accepts.
   */
  readonly schema?: ZodType;
  /**
   * Validates the content strictly (unknown fields, types, values, Istio's webhook rules) and returns
   * it normalized. `content` is `spec` or the object of the listed top-level fields. Issue paths are
   * relative to the document root (`['spec','http',0,'timeout']`).
   */
  validate(content: unknown, meta: ObjectMeta): ValidationResult<S>;
}
