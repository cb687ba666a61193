/**
 * `weft analyze` on a DestinationRule that sets the deprecated `outlierDetection.consecutiveErrors`:
 * Istio ignores the field since 1.7 and its validation warns (istioctl shows IST0133 SchemaWarning);
 * the real CLI prints that message (istioctl's words) at the field's file:line, exits 0, and `--suppress` silences it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = 'test/fidelity/fixtures/ist0133';

function analyze(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/weft.js'), 'analyze', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TERM: 'dumb' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('consecutiveErrors is IST0133 SchemaWarning at its file:line; exit 0; suppressible', () => {
  const r = analyze(DIR);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    r.stdout.trim(),
    `Warning [IST0133] (DestinationRule default/reviews ${DIR}/reviews-dr.yaml:10) Schema validation warning: ` +
      'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
  );
  const s = analyze('--suppress', 'IST0133=*', DIR);
  assert.equal(s.code, 0);
  assert.equal(s.stdout, '');
});
