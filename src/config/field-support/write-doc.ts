/**
 * `npm run coverage-doc`: writes `docs/istio-coverage.md` from the field-support registry.
 * Run from the repository root (npm does); `--check` exits 1 when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { COVERAGE_DOC_PATH, renderCoverageDoc } from './coverage-doc.js';

const file = path.resolve(process.cwd(), COVERAGE_DOC_PATH);
const text = renderCoverageDoc();
if (process.argv.includes('--check')) {
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write(`${COVERAGE_DOC_PATH} is out of date: run npm run coverage-doc\n`);
    process.exit(1);
  }
} else {
  await writeFile(file, text);
  process.stdout.write(`wrote ${COVERAGE_DOC_PATH}\n`);
}
