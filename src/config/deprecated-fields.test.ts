import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupKind } from './kinds.js';
import { parseText } from './load.js';
import { deprecatedFieldDiagnostics, DEPRECATED_FIELDS, type DeprecatedField } from './deprecated-fields.js';

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy:
      outlierDetection: {consecutive5xxErrors: 4}
`;

test('a row names a field by exact path or by suffix; each use is reported at its line with Istio\'s code and prefix', () => {
  const info = lookupKind('networking.istio.io/v1', 'DestinationRule')!;
  const r = parseText('dr.yaml', DR).resources[0]!;
  const raw = { host: 'reviews', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } }, subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 4 } } }] };
  const key = { kind: 'DestinationRule', namespace: 'shop', name: 'reviews' };
  const suffix: DeprecatedField[] = [{ kind: 'DestinationRule', pathSuffix: 'outlierDetection.consecutive5xxErrors', code: 'IST0133', message: 'test row' }];
  const bySuffix = deprecatedFieldDiagnostics(info, raw, r.locate, key, suffix);
  assert.deepEqual(bySuffix.map((d) => [d.code, d.level, d.message, d.source?.line, d.field]), [
    ['IST0133', 'Warning', 'Schema validation warning: test row', 7, 'spec.trafficPolicy.outlierDetection.consecutive5xxErrors'],
    ['IST0133', 'Warning', 'Schema validation warning: test row', 12, 'spec.subsets[0].trafficPolicy.outlierDetection.consecutive5xxErrors'],
  ]);
  assert.deepEqual(bySuffix[0]!.resource, key);
  const exact: DeprecatedField[] = [{ kind: 'DestinationRule', path: 'spec.subsets[].trafficPolicy.outlierDetection.consecutive5xxErrors', code: 'IST0002', message: 'x is deprecated; use y' }];
  assert.deepEqual(deprecatedFieldDiagnostics(info, raw, r.locate, key, exact).map((d) => [d.message, d.source?.line]), [['Deprecated: x is deprecated; use y', 12]]);
  // A suffix matches at a `.` boundary only, and rows of other kinds never match.
  assert.deepEqual(deprecatedFieldDiagnostics(info, raw, r.locate, key, [{ kind: 'DestinationRule', pathSuffix: 'Detection.consecutive5xxErrors', code: 'IST0002', message: 'm' }]), []);
  assert.deepEqual(deprecatedFieldDiagnostics(info, raw, r.locate, key, [{ ...suffix[0]!, kind: 'VirtualService' }]), []);
});

test('every row of the table names a kind Weft loads and a path or suffix, with Istio\'s code', () => {
  for (const row of DEPRECATED_FIELDS) {
    assert.ok(lookupKind('networking.istio.io/v1', row.kind) ?? lookupKind('security.istio.io/v1', row.kind) ?? lookupKind('telemetry.istio.io/v1', row.kind), row.kind);
    assert.ok((row.path === undefined) !== (row.pathSuffix === undefined), `${row.kind}: give path or pathSuffix`);
    assert.ok(['IST0002', 'IST0133'].includes(row.code));
  }
});
