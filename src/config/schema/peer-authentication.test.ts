import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { peerAuthenticationKind, type PeerAuthenticationSpec } from './peer-authentication.js';
import { formatPath } from '../diagnostic.js';
import type { SchemaIssue, ValidationResult } from '../kind-info.js';

function validate(specYaml: string): ValidationResult<PeerAuthenticationSpec> {
  return peerAuthenticationKind.validate(parse(specYaml) ?? {}, { name: 'p', namespace: 'default' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

describe('PeerAuthentication: Istio mTLS task examples', () => {
  it('accepts the mesh-wide STRICT policy', () => {
    const r = validate('mtls:\n  mode: STRICT\n');
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.mtls?.mode, 'STRICT');
  });
  it('accepts a workload policy with a port-level override keyed by an integer', () => {
    const r = validate('selector:\n  matchLabels:\n    app: httpbin\nmtls:\n  mode: STRICT\nportLevelMtls:\n  8080:\n    mode: DISABLE\n');
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.portLevelMtls?.['8080']?.mode, 'DISABLE');
  });
  it('accepts an empty spec and UNSET', () => {
    assert.deepEqual(validate('{}').issues, []);
    assert.deepEqual(validate('mtls: {mode: UNSET}').issues, []);
  });
});

describe('PeerAuthentication: checks', () => {
  it('rejects an unknown mode', () => {
    assertIssue(validate('mtls: {mode: STRIKT}'), 'spec.mtls.mode', 'expected one of');
  });
  it('rejects unknown fields', () => {
    assertIssue(validate('mtls: {mode: STRICT, level: 3}'), 'spec.mtls.level', 'unknown field');
  });
  it('rejects portLevelMtls without a selector', () => {
    assertIssue(validate('portLevelMtls:\n  8080: {mode: DISABLE}\n'), 'spec.portLevelMtls', 'requires a selector');
  });
  it('rejects portLevelMtls with a label-less selector', () => {
    assertIssue(validate('selector: {}\nportLevelMtls:\n  8080: {mode: DISABLE}\n'), 'spec.portLevelMtls', 'cannot have port level mTLS');
  });
  it('rejects an empty portLevelMtls', () => {
    assertIssue(validate('selector: {matchLabels: {app: a}}\nportLevelMtls: {}\n'), 'spec.portLevelMtls', 'at least one element');
  });
  it('rejects out-of-range and non-numeric ports', () => {
    const base = 'selector: {matchLabels: {app: a}}\nportLevelMtls:\n';
    assertIssue(validate(`${base}  0: {mode: DISABLE}\n`), 'spec.portLevelMtls.0', 'port must be in range 1..65535');
    assertIssue(validate(`${base}  70000: {mode: DISABLE}\n`), 'spec.portLevelMtls.70000', 'port must be in range');
    assertIssue(validate(`${base}  http: {mode: DISABLE}\n`), 'spec.portLevelMtls.http', 'port must be in range');
  });
  it('rejects wildcards in selector labels', () => {
    assertIssue(validate('selector: {matchLabels: {app: "web*"}}'), 'spec.selector.matchLabels.app', 'wildcard is not supported');
  });
  it('warns about a selector without labels', () => {
    const r = validate('selector: {}\nmtls: {mode: STRICT}');
    assertIssue(r, 'spec.selector', 'without labels', 'Warning');
    assert.ok(r.spec, 'a warning keeps the resource');
  });
});
