/**
 * Building blocks shared by every kind's schema: durations, ports, labels, selectors, percentages,
 * the mapping from zod's issues to Weft's SchemaIssue, and `defineKind`, which turns a schema plus
 * Istio's semantic checks into a KindInfo the loader can use.
 */
import { z } from 'zod';
import RE2 from 're2';
import type { KindInfo, SchemaIssue, ValidationResult } from '../kind-info.js';
import type { ObjectMeta } from '../resource.js';
import { parseDuration } from '../duration.js';

/** A duration string (`10s`, `0.5s`, `500ms`, `1h`); Istio's CRDs validate the same forms. */
export const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'invalid duration: expected a number with unit ns, us, ms, s, m or h (e.g. "1.5s", "500ms")',
});

/** A TCP/UDP port number, 1–65535. */
export const portNumber = z.number().int('must be an integer').min(1, 'port must be in 1-65535').max(65535, 'port must be in 1-65535');

/** A label map. */
export const labels = z.record(z.string(), z.string());

/** Istio's `type.v1beta1.WorkloadSelector` (security kinds, Telemetry, DestinationRule): `{ matchLabels }`. */
export const workloadSelector = z.strictObject({ matchLabels: labels.optional() });
export type WorkloadSelector = z.infer<typeof workloadSelector>;

/** Istio's `networking.v1alpha3.WorkloadSelector` (Sidecar, ServiceEntry): `{ labels }`. */
export const networkingWorkloadSelector = z.strictObject({ labels: labels.optional() });
export type NetworkingWorkloadSelector = z.infer<typeof networkingWorkloadSelector>;

/** Istio's Percent message: `{ value }`, 0–100. */
export const percent = z.strictObject({ value: z.number().min(0, 'must be in 0-100').max(100, 'must be in 0-100') });
export type Percent = z.infer<typeof percent>;

/** An integer, as protobuf's uint32/int32 fields in JSON. */
export const int = z.number().int('must be an integer');
/** A non-negative integer. */
export const uint = z.number().int('must be an integer').min(0, 'must not be negative');

/** Validates an RE2 regular expression (Istio's regex syntax); returns an error message or undefined. */
export function re2Error(pattern: string): string | undefined {
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (err) {
    return `invalid RE2 regex ${JSON.stringify(pattern)}: ${(err as Error).message}`;
  }
}

/** A string holding an RE2 regular expression. */
export const re2Regex = z.string().superRefine((s, ctx) => {
  const e = re2Error(s);
  if (e) ctx.addIssue({ code: 'custom', message: e });
});

/** Maps a zod error to Weft issues, with paths prefixed by `base` (e.g. `['spec']`). */
export function zodToIssues(error: z.ZodError, base: readonly (string | number)[]): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  for (const issue of error.issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown field "${key}"`, level: 'Error' });
      continue;
    }
    out.push({ path, message: issue.message, level: 'Error' });
  }
  return out;
}

/** Collects semantic issues while walking a spec; paths are relative to the spec (the helper prefixes them). */
export class IssueSink {
  readonly issues: SchemaIssue[] = [];
  constructor(private readonly base: readonly (string | number)[] = []) {}
  /** Records an error at `path`. */
  error(path: readonly (string | number)[], message: string, code?: string): void {
    this.issues.push({ path: [...this.base, ...path], message, level: 'Error', code });
  }
  /** Records a warning at `path` (IST0002 Deprecated unless another code is given). */
  warn(path: readonly (string | number)[], message: string, code?: string): void {
    this.issues.push({ path: [...this.base, ...path], message, level: 'Warning', code });
  }
}

/** What a kind supplies to `defineKind`. */
export interface KindDefinition<S> {
  readonly kind: string;
  readonly group: string;
  readonly versions: readonly string[];
  readonly plural: string;
  readonly namespaced: boolean;
  /** Defaults to 'spec'. */
  readonly content?: 'spec' | readonly string[];
  /** Structural schema of the content (strict: unknown fields are errors). */
  readonly schema: z.ZodType<S>;
  /**
   * Maps deprecated fields to their replacements, reporting each with `sink.warn`. Must not mutate
   * its input; returns the normalized content. Paths given to the sink are relative to the content.
   */
  readonly normalize?: (spec: S, sink: IssueSink) => S;
  /** Istio's semantic (webhook) checks on the normalized content; paths relative to the content. */
  readonly check?: (spec: S, sink: IssueSink, meta: ObjectMeta) => void;
}

/** Builds a KindInfo from a schema, an optional normalizer and Istio's semantic checks. */
export function defineKind<S>(def: KindDefinition<S>): KindInfo<S> {
  const content = def.content ?? 'spec';
  const base: (string | number)[] = content === 'spec' ? ['spec'] : [];
  return {
    kind: def.kind,
    group: def.group,
    versions: def.versions,
    plural: def.plural,
    namespaced: def.namespaced,
    content,
    schema: def.schema,
    validate(raw: unknown, meta: ObjectMeta): ValidationResult<S> {
      const parsed = def.schema.safeParse(raw ?? {});
      if (!parsed.success) return { issues: zodToIssues(parsed.error, base) };
      const sink = new IssueSink(base);
      const spec = def.normalize ? def.normalize(parsed.data, sink) : parsed.data;
      def.check?.(spec, sink, meta);
      const failed = sink.issues.some((i) => i.level === 'Error');
      return failed ? { issues: sink.issues } : { spec, issues: sink.issues };
    },
  };
}
