import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDist, testFilesIn } from './check-dist.js';
import { isTestCode } from './test-code.js';

/** The repository root: this test runs from build/tools/. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('isTestCode: unit and e2e tests, the test/ tree and testing/ folders; production files are not', () => {
  for (const p of ['src/proxy/lb/maglev.test.ts', 'proxy/lb/maglev.test.js', 'tools/check-dist.test.js.map', 'test/helpers/weft-process.ts', 'test/harness/ports.js', 'src/proxy/lb/testing/shared-suite.ts', 'xds/testing/ads-fixtures.js']) {
    assert.equal(isTestCode(p), true, p);
  }
  for (const p of ['src/proxy/lb/maglev.ts', 'src/cli/main.js', 'tools/check-dist.js', 'bench/run.js', 'samples/httpbin/main.js', 'src/security/testing-mode.ts', 'src/attest/contest.ts']) {
    assert.equal(isTestCode(p), false, p);
  }
});

test('a dist with a unit test, an e2e test folder or a testing/ fixture fails, naming each; a clean one passes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-dist-check-'));
  const put = (rel: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), '');
  };
  try {
    put('src/cli/main.js');
    put('src/proxy/lb/maglev.js');
    assert.equal(checkDist(dir).ok, true);
    put('src/proxy/lb/maglev.test.js');
    put('src/proxy/lb/testing/shared-suite.js');
    put('test/resilience/harness.js');
    assert.deepEqual(testFilesIn(dir), ['src/proxy/lb/maglev.test.js', 'src/proxy/lb/testing/shared-suite.js', 'test/']);
    const verdict = checkDist(dir);
    assert.equal(verdict.ok, false);
    assert.match(verdict.lines.join('\n'), /3 test file\(s\)/);
    assert.equal(checkDist(path.join(dir, 'missing')).ok, false);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the repository's dist/ (npm run build) holds every production module and no test code", () => {
  const dist = path.join(REPO_ROOT, 'dist');
  const verdict = checkDist(dist);
  assert.equal(verdict.ok, true, verdict.lines.join('\n'));
  // Every production source compiles into dist/ (tsconfig.json excludes exactly the test code).
  const missing: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !isTestCode(child)) {
        if (!existsSync(path.join(dist, child.replace(/\.ts$/, '.js')))) missing.push(child);
      }
    }
  };
  for (const top of ['src', 'tools', 'bench', 'samples']) walk(top);
  assert.deepEqual(missing, []);
});
