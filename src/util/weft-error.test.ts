import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeftError } from './weft-error.js';
import { UserError, usageError, ExitCode } from './user-error.js';
import { CliError } from '../cli/errors.js';
import { SecurityError, SecurityErrorCode } from '../security/errors.js';
import { MeshConfigError } from '../analyze/mesh-config-file.js';
import { HttpOnlyOnTcpError } from '../translate/security/rule-policy.js';
import { SnapshotError } from '../proxy/listener/runtime-snapshot.js';

test('coded errors extend WeftError and keep their codes, messages, names and causes', () => {
  const cause = new Error('disk full');
  const sec = new SecurityError(SecurityErrorCode.CaInvalid, 'not a CA', { cause });
  assert.ok(sec instanceof WeftError && sec instanceof Error);
  assert.equal(sec.code, 'CA_INVALID');
  assert.equal(sec.message, 'CA_INVALID: not a CA');
  assert.equal(sec.name, 'SecurityError');
  assert.equal(sec.cause, cause);

  const snap = new SnapshotError('BAD_ROUTE', 'no such cluster');
  assert.ok(snap instanceof WeftError);
  assert.equal(snap.message, 'BAD_ROUTE: no such cluster');
  assert.equal('cause' in snap, false, 'no cause given, none set');

  const tcp = new HttpOnlyOnTcpError('methods');
  assert.ok(tcp instanceof WeftError);
  assert.equal(typeof tcp.code, 'string');

  assert.equal(new MeshConfigError('bad').code, 'INVALID_MESH_CONFIG');
});

test('UserError is the CLI\'s CliError: one class, exit codes and details unchanged', () => {
  assert.equal(CliError, UserError);
  const usage = usageError('missing KIND', 'weft get KIND');
  assert.ok(usage instanceof CliError && usage instanceof WeftError);
  assert.equal(usage.code, 'USAGE');
  assert.equal(usage.exitCode, ExitCode.Usage);
  assert.equal(usage.details, 'weft get KIND');
  assert.equal(new UserError('LOAD_FAILED', 'x').exitCode, ExitCode.Failure);
});

test('no error class in src/ extends Error directly, except WeftError itself', () => {
  const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of readFileSync(full, 'utf8').matchAll(/class (\w+) extends Error\b/g)) {
          if (m[1] !== 'WeftError') offenders.push(`${path.relative(src, full)}: ${m[1]}`);
        }
      }
    }
  };
  walk(src);
  assert.ok(readFileSync(path.join(src, 'util/weft-error.ts'), 'utf8').includes('class WeftError extends Error'), 'scanned the sources');
  assert.deepEqual(offenders, [], 'extend WeftError (src/util/weft-error.ts) so the error carries a stable code');
});
