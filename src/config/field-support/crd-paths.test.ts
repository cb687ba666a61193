/**
 * Weft's schemas against Istio's CRDs (istio/api 1.31, checked in as `istio-crd-paths.json`), both
 * directions: every Istio field is accepted or listed in REFUSED_AS_UNKNOWN, every accepted field is
 * Istio's or listed in NOT_IN_ISTIO_CRD. With `registry.test.ts` (every accepted field has a
 * decision) no Istio field can be silently ignored or silently refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINDS } from '../kinds.js';
import { schemaLeafPaths } from './schema-paths.js';
import { openApiLeafPaths, type CrdPathsFixture } from './crd-paths.js';
import { NOT_IN_ISTIO_CRD, REFUSED_AS_UNKNOWN } from './crd-gaps.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(ROOT, 'src/config/field-support/istio-crd-paths.json'), 'utf8')) as CrdPathsFixture;
const istioKinds = KINDS.filter((k) => k.group.endsWith('istio.io'));

test('the OpenAPI walk uses the registry notation', () => {
  const s = {
    type: 'object',
    properties: {
      hosts: { type: 'array', items: { type: 'string' } },
      http: { type: 'array', items: { type: 'object', properties: { match: { type: 'object', additionalProperties: { type: 'object', properties: { exact: { type: 'string' } } } } } } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  assert.deepEqual(openApiLeafPaths(s, 'spec'), ['spec.hosts', 'spec.http[].match{}.exact', 'spec.labels']);
});

test('every Istio kind Weft accepts is in the fixture', () => {
  for (const k of istioKinds) assert.ok(fixture.kinds[k.kind], k.kind);
});

test('every field of Istio\'s CRDs is accepted by Weft, or listed as still refused (REFUSED_AS_UNKNOWN)', () => {
  for (const k of istioKinds) {
    const accepted = new Set(schemaLeafPaths(k.schema!, 'spec'));
    const refused = fixture.kinds[k.kind]!.filter((p) => !accepted.has(p));
    assert.deepEqual(refused, [...(REFUSED_AS_UNKNOWN[k.kind] ?? [])].sort(), `${k.kind}: update the schema or crd-gaps.ts`);
  }
});

test('every field Weft accepts is in Istio\'s CRDs, or listed (NOT_IN_ISTIO_CRD)', () => {
  for (const k of istioKinds) {
    const istio = new Set(fixture.kinds[k.kind]);
    const extra = schemaLeafPaths(k.schema!, 'spec').filter((p) => !istio.has(p));
    assert.deepEqual(extra, [...(NOT_IN_ISTIO_CRD[k.kind] ?? [])].sort(), `${k.kind}: a field Istio does not have`);
  }
});
