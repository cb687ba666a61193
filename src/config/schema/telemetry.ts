/**
 * Telemetry (telemetry.istio.io v1alpha1, v1): tracing, metrics and access logging per mesh,
 * namespace or workload. Checks follow Istio's webhook (`ValidateTelemetry` and its helpers) and the
 * CRD (custom tag and metric selector one-ofs, duration floors, percentage range).
 */
import { z } from 'zod';
import { defineKind, duration, workloadSelector, type IssueSink } from './common.js';
import { parseDuration } from '../duration.js';
import { celUnsupportedReason } from '../../cel/attributes.js';

/**
 * Stable code of the warning for a Telemetry `tagOverrides` value Weft cannot evaluate (in the
 * field-support range WFT0100–WFT0109); the translation leaves such a tag out (translate/telemetry/metrics.ts).
 */
export const UNEVALUABLE_TAG_EXPRESSION = 'WFT0101';
import { checkPolicyScope, policyTargetReference, policyTargetReferences, SCHEMA_WARNING } from './peer-authentication.js';

const providerRef = z.strictObject({ name: z.string() });
const providers = z.array(providerRef);
const workloadMode = z.enum(['CLIENT_AND_SERVER', 'CLIENT', 'SERVER']);

const customTag = z.strictObject({
  literal: z.strictObject({ value: z.string() }).optional(),
  environment: z.strictObject({ name: z.string(), defaultValue: z.string().optional() }).optional(),
  header: z.strictObject({ name: z.string(), defaultValue: z.string().optional() }).optional(),
  formatter: z.strictObject({ value: z.string() }).optional(),
});
/** One custom span tag: at most one of literal, environment, header, formatter. */
export type CustomTag = z.infer<typeof customTag>;

const tracing = z.strictObject({
  match: z.strictObject({ mode: workloadMode.optional() }).optional(),
  providers: providers.optional(),
  randomSamplingPercentage: z.number().nullable().optional(),
  disableSpanReporting: z.boolean().nullable().optional(),
  customTags: z.record(z.string(), customTag).optional(),
  useRequestIdForTraceSampling: z.boolean().nullable().optional(),
  enableIstioTags: z.boolean().nullable().optional(),
  /** istio/api 1.31 `Tracing.disable_context_propagation`: accepted; the registry warns it is not applied. */
  disableContextPropagation: z.boolean().nullable().optional(),
});
/** One tracing configuration. */
export type Tracing = z.infer<typeof tracing>;

/** Istio's standard metrics, as Telemetry overrides name them. */
export const standardMetric = z.enum([
  'ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES', 'GRPC_REQUEST_MESSAGES', 'GRPC_RESPONSE_MESSAGES',
]);

const metricsOverride = z.strictObject({
  match: z.strictObject({
    metric: standardMetric.optional(),
    customMetric: z.string().optional(),
    mode: workloadMode.optional(),
  }).optional(),
  disabled: z.boolean().nullable().optional(),
  tagOverrides: z.record(z.string(), z.strictObject({
    operation: z.enum(['UPSERT', 'REMOVE']).optional(),
    value: z.string().optional(),
  })).optional(),
});

const metrics = z.strictObject({
  providers: providers.optional(),
  overrides: z.array(metricsOverride).optional(),
  reportingInterval: duration.optional(),
});
/** One metrics configuration. */
export type Metrics = z.infer<typeof metrics>;

const accessLogging = z.strictObject({
  match: z.strictObject({ mode: workloadMode.optional() }).optional(),
  providers: providers.optional(),
  disabled: z.boolean().nullable().optional(),
  filter: z.strictObject({ expression: z.string().optional() }).optional(),
});
/** One access logging configuration. */
export type AccessLogging = z.infer<typeof accessLogging>;

const telemetrySchema = z.strictObject({
  selector: workloadSelector.optional(),
  targetRef: policyTargetReference.optional(),
  targetRefs: policyTargetReferences.optional(),
  tracing: z.array(tracing).optional(),
  metrics: z.array(metrics).optional(),
  accessLogging: z.array(accessLogging).optional(),
});
/** The content of a Telemetry. */
export type TelemetrySpec = z.infer<typeof telemetrySchema>;

type Path = (string | number)[];

/**
 * A light syntax check of a CEL expression (Istio parses it with cel-go): non-empty, string literals
 * closed, brackets balanced. Returns an error message or undefined.
 */
export function celSyntaxError(expr: string): string | undefined {
  if (expr.trim() === '') return 'must be a valid CEL expression: expression is empty';
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) return `must be a valid CEL expression: unterminated string starting at offset ${i}`;
      i = j;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
    } else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return `must be a valid CEL expression: unbalanced "${c}" at offset ${i}`;
    }
  }
  return stack.length > 0 ? `must be a valid CEL expression: unclosed "${stack[stack.length - 1]}"` : undefined;
}

function checkProviders(list: readonly { name: string }[] | undefined, sink: IssueSink, path: Path): void {
  list?.forEach((p, i) => {
    if (p.name === '') sink.error([...path, i, 'name'], 'providers.name may not be empty');
  });
}

function checkMinDuration(value: string | undefined, sink: IssueSink, path: Path): void {
  if (value !== undefined && (parseDuration(value) ?? 0) < 1) sink.error(path, 'must be a valid duration greater than 1ms');
}

function checkTracing(list: readonly Tracing[], sink: IssueSink): void {
  if (list.length > 1) sink.warn(['tracing'], 'multiple tracing is not currently supported', SCHEMA_WARNING);
  list.forEach((t, i) => {
    const path = ['tracing', i];
    if ((t.providers?.length ?? 0) > 1) sink.warn([...path, 'providers'], 'multiple providers is not currently supported', SCHEMA_WARNING);
    checkProviders(t.providers, sink, [...path, 'providers']);
    const pct = t.randomSamplingPercentage;
    if (pct !== undefined && pct !== null && !(pct >= 0 && pct <= 100)) {
      sink.error([...path, 'randomSamplingPercentage'], 'randomSamplingPercentage must be in range [0.0, 100.0]');
    }
    for (const [name, tag] of Object.entries(t.customTags ?? {})) {
      const p = [...path, 'customTags', name];
      if (name === '') sink.error(p, 'tag name may not be empty');
      const kinds = (['literal', 'environment', 'header', 'formatter'] as const).filter((k) => tag[k] !== undefined);
      if (kinds.length > 1) sink.error(p, 'only one of literal, environment, header or formatter can be set');
      if (tag.literal && tag.literal.value === '') sink.error([...p, 'literal', 'value'], 'literal tag value may not be empty');
      if (tag.header && tag.header.name === '') sink.error([...p, 'header', 'name'], 'header tag name may not be empty');
      if (tag.environment && tag.environment.name === '') sink.error([...p, 'environment', 'name'], 'environment tag name may not be empty');
      if (tag.formatter && tag.formatter.value === '') sink.error([...p, 'formatter', 'value'], 'formatter tag value may not be empty');
    }
  });
}

function checkMetrics(list: readonly Metrics[], sink: IssueSink): void {
  list.forEach((m, i) => {
    const path = ['metrics', i];
    checkProviders(m.providers, sink, [...path, 'providers']);
    checkMinDuration(m.reportingInterval, sink, [...path, 'reportingInterval']);
    m.overrides?.forEach((o, j) => {
      const op = [...path, 'overrides', j];
      if (o.match?.metric !== undefined && o.match.customMetric !== undefined) {
        sink.error([...op, 'match'], 'only one of metric or customMetric can be set');
      }
      if (o.match?.customMetric === '') sink.error([...op, 'match', 'customMetric'], 'customMetric may not be empty');
      for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
        const tp = [...op, 'tagOverrides', tag];
        if (tag === '') sink.warn(tp, 'tagOverrides.name may not be empty', SCHEMA_WARNING);
        if (to.operation === 'REMOVE') {
          if (to.value !== undefined && to.value !== '') sink.error([...tp, 'value'], 'tagOverrides.value may only be set when operation is UPSERT');
        } else if (to.value === undefined || to.value === '') {
          sink.error(tp, 'tagOverrides.value must be set when operation is UPSERT');
        } else {
          // Valid for Istio (cel-go), but Weft's proxy could not evaluate it: the tag is left out, said here.
          const why = celUnsupportedReason(to.value);
          if (why !== undefined) sink.warn([...tp, 'value'], `tag ${tag} is not added: ${why}`, UNEVALUABLE_TAG_EXPRESSION);
        }
      }
    });
  });
}

function checkTelemetry(spec: TelemetrySpec, sink: IssueSink): void {
  checkPolicyScope(spec, sink);
  checkTracing(spec.tracing ?? [], sink);
  checkMetrics(spec.metrics ?? [], sink);
  spec.accessLogging?.forEach((l, i) => {
    checkProviders(l.providers, sink, ['accessLogging', i, 'providers']);
    if (l.filter) {
      const e = celSyntaxError(l.filter.expression ?? '');
      if (e) sink.error(['accessLogging', i, 'filter', 'expression'], e);
    }
  });
}

/** Telemetry, telemetry.istio.io. */
export const telemetryKind = defineKind<TelemetrySpec>({
  kind: 'Telemetry',
  group: 'telemetry.istio.io',
  versions: ['v1alpha1', 'v1'],
  plural: 'telemetries',
  namespaced: true,
  schema: telemetrySchema,
  check: checkTelemetry,
});
