import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COVERAGE_DOC_PATH, coverageCounts, renderCoverageDoc } from './coverage-doc.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

test('the committed docs/istio-coverage.md is what the registry renders (run npm run coverage-doc)', () => {
  const committed = readFileSync(path.join(ROOT, COVERAGE_DOC_PATH), 'utf8');
  assert.equal(committed, renderCoverageDoc());
});

test('counts add up per kind, and every unsupported field is listed with its reason', () => {
  const doc = renderCoverageDoc();
  for (const c of coverageCounts()) assert.equal(c.enforced + c.refused + c.unsupported + c.ignored, c.fields, c.kind);
  assert.match(doc, /\| `spec\.tcp\[\]\.match\[\]\.sourceSubnet` \| \*\*unsupported\*\* \| sourceSubnet is not matched/);
  assert.match(doc, /Other fields: ignored, because weft up runs the first container's command as a local process/);
});
