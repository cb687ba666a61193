import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { celSyntaxError, telemetryKind, type TelemetrySpec } from './telemetry.js';
import { formatPath } from '../diagnostic.js';
import type { SchemaIssue, ValidationResult } from '../kind-info.js';

function validate(specYaml: string, namespace = 'default'): ValidationResult<TelemetrySpec> {
  return telemetryKind.validate(parse(specYaml) ?? {}, { name: 't', namespace });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

describe('Telemetry: Istio task examples', () => {
  it('accepts mesh-wide access logging', () => {
    const r = validate('accessLogging:\n  - providers:\n    - name: envoy\n', 'istio-system');
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.accessLogging?.[0]?.providers?.[0]?.name, 'envoy');
  });
  it('accepts a workload access log filter', () => {
    const r = validate(`selector:
  matchLabels:
    app: sleep
accessLogging:
- providers:
  - name: envoy
  filter:
    expression: response.code >= 400
`);
    assert.deepEqual(r.issues, []);
  });
  it('accepts tracing with sampling and custom tags', () => {
    const r = validate(`tracing:
- providers:
  - name: "zipkin"
  randomSamplingPercentage: 100.00
  disableSpanReporting: false
  useRequestIdForTraceSampling: true
  match:
    mode: SERVER
  customTags:
    "provider":
      literal:
        value: "zipkin"
    "my_tag_header":
      header:
        name: x-custom
        defaultValue: unknown
    env:
      environment:
        name: HOSTNAME
`);
    assert.deepEqual(r.issues, []);
  });
  it('accepts metrics overrides', () => {
    const r = validate(`metrics:
- providers:
  - name: prometheus
  reportingInterval: 15s
  overrides:
  - match:
      metric: REQUEST_COUNT
      mode: CLIENT_AND_SERVER
    tagOverrides:
      request_host:
        value: "request.host"
  - match:
      metric: REQUEST_DURATION
    disabled: true
  - match:
      customMetric: my_metric
    tagOverrides:
      request_protocol:
        operation: REMOVE
`);
    assert.deepEqual(r.issues, []);
  });
  it('accepts a targetRef to a Gateway', () => {
    assert.deepEqual(validate('targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]\naccessLogging: [{disabled: true}]').issues, []);
  });
});

describe('Telemetry: checks', () => {
  it('rejects empty provider names', () => {
    assertIssue(validate('accessLogging: [{providers: [{name: ""}]}]'), 'spec.accessLogging[0].providers[0].name', 'providers.name may not be empty');
    assertIssue(validate('metrics: [{providers: [{name: ""}]}]'), 'spec.metrics[0].providers[0].name', 'providers.name may not be empty');
  });
  it('rejects a sampling percentage outside 0-100', () => {
    assertIssue(validate('tracing: [{randomSamplingPercentage: 101}]'), 'spec.tracing[0].randomSamplingPercentage', 'range [0.0, 100.0]');
  });
  it('rejects empty custom tag values and two kinds in one tag', () => {
    assertIssue(validate('tracing: [{customTags: {a: {literal: {value: ""}}}}]'), 'spec.tracing[0].customTags.a.literal.value', 'literal tag value may not be empty');
    assertIssue(validate('tracing: [{customTags: {a: {header: {name: ""}}}}]'), 'spec.tracing[0].customTags.a.header.name', 'header tag name may not be empty');
    assertIssue(validate('tracing: [{customTags: {a: {literal: {value: x}, header: {name: y}}}}]'), 'spec.tracing[0].customTags.a', 'only one of');
  });
  it('warns about multiple tracing configurations and providers', () => {
    assertIssue(validate('tracing: [{providers: [{name: a}, {name: b}]}]'), 'spec.tracing[0].providers', 'multiple providers', 'Warning');
    assertIssue(validate('tracing: [{}, {}]'), 'spec.tracing', 'multiple tracing', 'Warning');
  });
  it('rejects tag overrides that contradict their operation', () => {
    assertIssue(validate('metrics: [{overrides: [{tagOverrides: {t: {operation: UPSERT}}}]}]'), 'spec.metrics[0].overrides[0].tagOverrides.t', 'must be set when operation is UPSERT');
    assertIssue(validate('metrics: [{overrides: [{tagOverrides: {t: {}}}]}]'), 'spec.metrics[0].overrides[0].tagOverrides.t', 'must be set when operation is UPSERT');
    assertIssue(validate('metrics: [{overrides: [{tagOverrides: {t: {operation: REMOVE, value: x}}}]}]'), 'spec.metrics[0].overrides[0].tagOverrides.t.value', 'only be set when operation is UPSERT');
  });
  it('rejects an unknown metric, an empty custom metric, and both', () => {
    assertIssue(validate('metrics: [{overrides: [{match: {metric: REQUESTS}}]}]'), 'spec.metrics[0].overrides[0].match.metric', 'expected one of');
    assertIssue(validate('metrics: [{overrides: [{match: {customMetric: ""}}]}]'), 'spec.metrics[0].overrides[0].match.customMetric', 'may not be empty');
    assertIssue(validate('metrics: [{overrides: [{match: {metric: REQUEST_COUNT, customMetric: m}}]}]'), 'spec.metrics[0].overrides[0].match', 'only one of');
  });
  it('rejects a reporting interval below 1ms', () => {
    assertIssue(validate('metrics: [{reportingInterval: 0s}]'), 'spec.metrics[0].reportingInterval', 'greater than 1ms');
  });
  it('rejects an access log filter that is not CEL', () => {
    assertIssue(validate('accessLogging: [{filter: {expression: "response.code >= (400"}}]'), 'spec.accessLogging[0].filter.expression', 'valid CEL');
    assertIssue(validate('accessLogging: [{filter: {}}]'), 'spec.accessLogging[0].filter.expression', 'valid CEL');
  });
  it('rejects unknown fields and bad modes', () => {
    assertIssue(validate('tracing: [{sampling: 10}]'), 'spec.tracing[0].sampling', 'unknown field');
    assertIssue(validate('accessLogging: [{match: {mode: BOTH}}]'), 'spec.accessLogging[0].match.mode', 'expected one of');
  });
  it('rejects selector with targetRef', () => {
    assertIssue(validate('selector: {matchLabels: {app: a}}\ntargetRef: {kind: Service, name: a}'), 'spec.targetRef', 'only one of');
  });
});

describe('celSyntaxError', () => {
  it('accepts strings with brackets and escaped quotes', () => {
    assert.equal(celSyntaxError(`request.headers["x-a"] == "a)\\"b" && response.code in [500, 503]`), undefined);
  });
  it('rejects unterminated strings and stray brackets', () => {
    assert.match(celSyntaxError(`request.path == "/a`) ?? '', /unterminated/);
    assert.match(celSyntaxError('a)') ?? '', /unbalanced/);
  });
});
