/**
 * The config store's directory watching, operation by operation, done the way users do them: the
 * real `sed -i`, `mv`, `rm`, `cp`, vim's save (write a temp file, rename it over the original),
 * VS Code's atomic save (write `.name.tmp`, rename), edits after a rename-replace (what Node 20's
 * recursive fs.watch lost, issue 11), and a symlinked directory. Each must be seen within 1 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, rm, rename, mkdir, symlink, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore } from './config-store.js';
import { listConfigDir } from './dir-watcher.js';

const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: default}\n`;
const names = (store: ConfigStore) => store.resources().map((r) => r.metadata.name).sort().join(',');

/** Polls until `names(store)` is `want`; fails after 1 s (the bound) with what it saw. */
async function within1s(store: ConfigStore, want: string, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (names(store) === want) return Date.now() - started;
    if (Date.now() - started > 1000) assert.fail(`${what}: not seen within 1 s (have "${names(store)}", want "${want}")`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('create, in-place edit, sed -i, edits after a rename-replace, vim and VS Code saves, mv in/out, rm: each seen within 1 s', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-watch-'));
  const dir = path.join(root, 'config');
  const outside = path.join(root, 'outside');
  await mkdir(dir);
  await mkdir(outside);
  const file = path.join(dir, 'a.yaml');
  await writeFile(file, sa('a1'));
  const store = new ConfigStore({ watchDir: dir, debounceMs: 10, maxDelayMs: 100 });
  try {
    await store.start();
    assert.equal(names(store), 'a1');
    const seen: Record<string, number> = {};
    await writeFile(path.join(dir, 'b.yaml'), sa('b1'));
    seen.create = await within1s(store, 'a1,b1', 'create');
    await writeFile(file, sa('a2'));
    seen.inPlace = await within1s(store, 'a2,b1', 'in-place edit');
    execFileSync('sed', ['-i', 's/a2/a3/', file]);
    seen.sedI = await within1s(store, 'a3,b1', 'sed -i');
    // After the rename-replace, in-place edits must still be seen (Node's recursive fs.watch lost them).
    await writeFile(file, sa('a4'));
    seen.inPlaceAfterSed = await within1s(store, 'a4,b1', 'in-place edit after sed -i');
    execFileSync('sed', ['-i', 's/a4/a5/', file]);
    seen.sedAgain = await within1s(store, 'a5,b1', 'second sed -i');
    // vim (backupcopy=no): probe file 4913, write a.yaml~ backup and a swap file, write the new
    // content to a temp name, rename it over the original.
    await writeFile(path.join(dir, '4913'), '');
    await rm(path.join(dir, '4913'));
    await writeFile(path.join(dir, '.a.yaml.swp'), 'garbage: [');
    await rename(file, `${file}~`);
    await writeFile(file, sa('a6'));
    await rm(`${file}~`);
    seen.vim = await within1s(store, 'a6,b1', 'vim save');
    // VS Code's atomic save: write a temp file beside the target, then rename it over.
    await writeFile(path.join(dir, '.a.yaml.tmp-vscode'), sa('a7'));
    await rename(path.join(dir, '.a.yaml.tmp-vscode'), file);
    seen.vscode = await within1s(store, 'a7,b1', 'VS Code atomic save');
    execFileSync('mv', [path.join(dir, 'b.yaml'), path.join(outside, 'b.yaml')]);
    seen.mvOut = await within1s(store, 'a7', 'mv out');
    await writeFile(path.join(outside, 'c.yaml'), sa('c1'));
    execFileSync('mv', [path.join(outside, 'c.yaml'), path.join(dir, 'c.yaml')]);
    seen.mvIn = await within1s(store, 'a7,c1', 'mv in');
    execFileSync('mv', [path.join(dir, 'c.yaml'), path.join(dir, 'd.yml')]);
    seen.mvRename = await within1s(store, 'a7,c1', 'mv rename (same content)');
    execFileSync('sed', ['-i', 's/c1/d1/', path.join(dir, 'd.yml')]);
    seen.sedRenamed = await within1s(store, 'a7,d1', 'sed -i on the renamed file');
    execFileSync('rm', [file]);
    seen.rm = await within1s(store, 'd1', 'rm');
    // New subdirectory, then a file in it; then the directory removed with rm -r.
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'e.yaml'), sa('e1'));
    seen.subdir = await within1s(store, 'd1,e1', 'file in a new subdirectory');
    execFileSync('rm', ['-r', path.join(dir, 'sub')]);
    seen.rmDir = await within1s(store, 'd1', 'rm -r of a subdirectory');
    // Ignored: dotfiles, editor temp names, non-config extensions.
    await writeFile(path.join(dir, '.#d.yml'), sa('lock'));
    await writeFile(path.join(dir, 'd.yml~'), sa('backup'));
    await writeFile(path.join(dir, 'notes.txt'), sa('txt'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(names(store), 'd1', 'dotfiles, backups and other extensions are ignored');
    process.stdout.write(`# ms to see each change: ${JSON.stringify(seen)}\n`);
  } finally {
    store.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('a symlinked directory inside the watched one is followed, and edits in its target are seen', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-watch-'));
  const dir = path.join(root, 'config');
  const target = path.join(root, 'shared');
  await mkdir(dir);
  await mkdir(target);
  await writeFile(path.join(target, 's.yaml'), sa('s1'));
  await symlink(target, path.join(dir, 'linked'));
  // A loop back to the watched directory is not followed twice.
  await symlink(dir, path.join(target, 'loop'));
  const store = new ConfigStore({ watchDir: dir, debounceMs: 10, maxDelayMs: 100 });
  try {
    await store.start();
    assert.equal(names(store), 's1');
    execFileSync('sed', ['-i', 's/s1/s2/', path.join(target, 's.yaml')]);
    await within1s(store, 's2', 'sed -i in a symlinked directory');
    await appendFile(path.join(target, 's.yaml'), `---\n${sa('s3')}`);
    await within1s(store, 's2,s3', 'append in a symlinked directory');
    execFileSync('rm', [path.join(dir, 'linked')]);
    await within1s(store, '', 'rm of the symlink');
    assert.deepEqual(await listConfigDir(dir), []);
  } finally {
    store.stop();
    await rm(root, { recursive: true, force: true });
  }
});
