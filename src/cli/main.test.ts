import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from './main.js';
import { COMMANDS } from './commands/index.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd() }, out: () => out, err: () => err };
}

test('every command entry matches its module (name and summary), and has --help', async () => {
  for (const entry of COMMANDS) {
    const cmd = await entry.load();
    assert.equal(cmd.name, entry.name);
    assert.equal(cmd.summary, entry.summary, `summary of ${entry.name}`);
    const t = io();
    assert.equal(await main([entry.name, '--help'], t.io), 0);
    assert.match(t.out(), new RegExp(`Usage: weft ${entry.name}`));
  }
});

test('weft --help lists every command; unknown commands and flags are usage errors (exit 2)', async () => {
  const t = io();
  assert.equal(await main(['--help'], t.io), 0);
  for (const c of COMMANDS) assert.match(t.out(), new RegExp(`^  ${c.name} `, 'm'));
  const u = io();
  assert.equal(await main(['frobnicate'], u.io), 2);
  assert.match(u.err(), /unknown command "frobnicate"/);
  const f = io();
  assert.equal(await main(['get', '--bogus'], f.io), 2);
  assert.match(f.err(), /^weft: USAGE: unknown flag --bogus/m);
});
