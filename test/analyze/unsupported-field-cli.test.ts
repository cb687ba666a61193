/**
 * `weft analyze` on config that sets a field Weft accepts but does not enforce (a VirtualService
 * tcp match `sourceSubnet`): the real CLI prints WFT0100 with file:line and the reason, exits 0 (a warning), and
 * `--suppress` silences it as istioctl's does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = 'test/analyze/fixtures/unsupported-field';

function analyze(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/weft.js'), 'analyze', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TERM: 'dumb' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a tcp match sourceSubnet is WFT0100 UnsupportedField at its file:line with the reason; exit 0', () => {
  const r = analyze(DIR);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    r.stdout.trim(),
    `Warning [WFT0100] (VirtualService default/reviews ${DIR}/reviews.yaml:22) UnsupportedField: spec.tcp[0].match[0].sourceSubnet ` +
      'is accepted but not enforced by Weft: sourceSubnet is not matched: istiod does not act on it in sidecar listeners either (the field is hidden from Istio\'s docs); the rule applies to connections from every source',
  );
  const json = JSON.parse(analyze('-o', 'json', DIR).stdout) as { code: string; level: string; origin: string; reference?: string }[];
  assert.deepEqual(json.map((m) => [m.code, m.level]), [['WFT0100', 'Warning']]);
});

test('--suppress "WFT0100=*" (or naming the resource) silences it', () => {
  for (const s of ['WFT0100=*', 'WFT0100=VirtualService default/reviews']) {
    const r = analyze('--suppress', s, DIR);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /No validation issues found/);
  }
});

test('--failure-threshold Warning makes it fail, as for istioctl warnings', () => {
  const r = analyze('--failure-threshold', 'Warning', DIR);
  assert.equal(r.code, 79, r.stdout + r.stderr);
});
