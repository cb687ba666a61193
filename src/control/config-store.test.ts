import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, readdir, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore } from './config-store.js';
import type { Resource } from '../config/resource.js';

const sa = (name: string, ns = 'default') => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${ns}}\n`;

function nextChange(store: ConfigStore): Promise<readonly Resource[]> {
  return new Promise((resolve) => {
    const off = store.subscribe((r) => {
      off();
      resolve(r);
    });
  });
}

const names = (rs: readonly Resource[]) => rs.map((r) => r.metadata.name).sort();

test('apply is validated, all or nothing, persisted durably, and survives a restart', async () => {
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-state-'));
  try {
    const store = new ConfigStore({ stateDir: state, debounceMs: 5 });
    await store.start();
    const ok = await store.apply([{ file: 'a.yaml', text: `${sa('a')}---\n${sa('b')}` }]);
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.results.map((r) => r.action), ['created', 'created']);
    const again = await store.apply([{ file: 'a.yaml', text: sa('a') }]);
    assert.deepEqual(again.results.map((r) => r.action), ['unchanged']);
    // One bad document refuses the whole apply.
    const bad = await store.apply([{ file: 'c.yaml', text: `${sa('c')}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: BAD}\n` }]);
    assert.equal(bad.ok, false);
    assert.ok(bad.diagnostics.some((d) => d.level === 'Error' && d.source?.file === 'c.yaml'));
    assert.deepEqual(names(store.resources()), ['a', 'b']);
    // No temp files are left behind.
    const files = await readdir(state);
    assert.ok(files.every((f) => !f.endsWith('.tmp')), files.join(','));
    store.stop();
    const restarted = new ConfigStore({ stateDir: state });
    await restarted.start();
    assert.deepEqual(names(restarted.resources()), ['a', 'b']);
    const del = await restarted.delete([{ kind: 'ServiceAccount', namespace: 'default', name: 'a' }, { kind: 'ServiceAccount', namespace: 'default', name: 'zz' }]);
    assert.deepEqual(del.map((d) => d.action), ['deleted', 'not found']);
    assert.deepEqual(names(restarted.resources()), ['b']);
    restarted.stop();
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('a watched directory: add, change, delete take effect; a broken file keeps its last good resources', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-watch-'));
  try {
    await writeFile(path.join(dir, 'one.yaml'), sa('one'));
    const store = new ConfigStore({ watchDir: dir, debounceMs: 10 });
    await store.start();
    assert.deepEqual(names(store.resources()), ['one']);

    let change = nextChange(store);
    await writeFile(path.join(dir, 'two.yaml'), sa('two'));
    assert.deepEqual(names(await change), ['one', 'two']);

    change = nextChange(store);
    await writeFile(path.join(dir, 'two.yaml'), sa('three'));
    assert.deepEqual(names(await change), ['one', 'three']);

    // A broken edit: the file's last good resource stays, the problem is reported.
    await writeFile(path.join(dir, 'one.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [\n');
    await waitFor(() => store.diagnostics().length > 0);
    assert.deepEqual(names(store.resources()), ['one', 'three']);
    assert.equal(store.diagnostics()[0]!.source?.file, path.join(dir, 'one.yaml'));

    change = nextChange(store);
    await unlink(path.join(dir, 'two.yaml'));
    assert.deepEqual(names(await change), ['one']);
    store.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function waitFor(cond: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
