import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { secureStateDir } from './state-dir.js';
import { writeFileDurable } from '../util/durable-file.js';

test('state dir: an old 0755/0644 tree is tightened to 0700/0600; symlinks are not followed', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-statedir-'));
  try {
    const state = path.join(root, 'state');
    await mkdir(path.join(state, 'store', 'config', 'default'), { recursive: true, mode: 0o755 });
    await chmod(state, 0o755);
    const secret = path.join(state, 'store', 'config', 'default', 'secret.tls.yaml');
    await writeFile(secret, 'x', { mode: 0o644 });
    const outside = path.join(root, 'outside.txt');
    await writeFile(outside, 'y', { mode: 0o644 });
    await symlink(outside, path.join(state, 'link'));
    await writeFile(path.join(state, 'user-file.txt'), 'z', { mode: 0o644 });
    const tightened = await secureStateDir(state, ['store', 'link']);
    assert.ok(tightened.includes(secret) && tightened.includes(state));
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(state, 'store', 'config'))).mode & 0o777, 0o700);
    assert.equal((await stat(secret)).mode & 0o777, 0o600);
    assert.equal((await stat(outside)).mode & 0o777, 0o644);
    assert.equal((await stat(path.join(state, 'user-file.txt'))).mode & 0o777, 0o644, 'not a name weft writes');
    assert.deepEqual(await secureStateDir(state, ['store', 'link']), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('durable writes are private by default: file 0600, new directories 0700', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-durable-'));
  try {
    const file = path.join(root, 'a', 'b', 'secret.yaml');
    await writeFileDurable(file, 'data');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(root, 'a'))).mode & 0o777, 0o700);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
