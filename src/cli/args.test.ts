import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, listFlag, stringFlag, numberFlag, boolFlag, type FlagSpec } from './args.js';
import { CliError } from './errors.js';

const SPECS: FlagSpec[] = [
  { name: 'output', aliases: ['o'], type: 'string', description: 'format', default: 'log' },
  { name: 'suppress', type: 'string', multiple: true, description: 'suppress' },
  { name: 'qps', type: 'number', description: 'rate' },
  { name: 'dry-run', type: 'boolean', description: 'dry' },
];

test('kubectl-style and fortio-style flags, positionals and rest', () => {
  const a = parseArgs(['-o', 'json', 'dir1', '--suppress', 'IST0101=VirtualService *', '--suppress=IST0118=Service *', '-qps', '10', '--dry-run', 'dir2', '--', 'curl', '-v'], SPECS);
  assert.equal(stringFlag(a, 'output'), 'json');
  assert.deepEqual(listFlag(a, 'suppress'), ['IST0101=VirtualService *', 'IST0118=Service *']);
  assert.equal(numberFlag(a, 'qps'), 10);
  assert.equal(boolFlag(a, 'dry-run'), true);
  assert.deepEqual(a.positionals, ['dir1', 'dir2']);
  assert.deepEqual(a.rest, ['curl', '-v']);
});

test('defaults apply; "-" is a positional', () => {
  const a = parseArgs(['-'], SPECS);
  assert.equal(stringFlag(a, 'output'), 'log');
  assert.deepEqual(a.positionals, ['-']);
});

test('unknown flags, missing values and bad numbers are usage errors (exit 2)', () => {
  for (const argv of [['--nope'], ['-o'], ['-qps', 'fast']]) {
    assert.throws(() => parseArgs(argv, SPECS), (e: unknown) => e instanceof CliError && e.code === 'USAGE' && e.exitCode === 2);
  }
});
