import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore } from './config-store.js';
import { setAsideAppliedState } from './fresh-state.js';

const sa = (name: string, ns = 'default') => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${ns}}\n`;
const names = (store: ConfigStore) => store.resources().map((r) => r.metadata.name).sort().join(',');

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a bad file: reported once per change with file:line, last good kept; at start with no good version it contributes nothing', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-notice-'));
  const lines: string[] = [];
  const bad = path.join(dir, 'bad.yaml');
  const good = path.join(dir, 'good.yaml');
  await writeFile(bad, `${sa('b1')}---\nkind: [\n`);
  await writeFile(good, sa('g1'));
  const store = new ConfigStore({ watchDir: dir, debounceMs: 5, report: (l) => lines.push(l) });
  try {
    await store.start();
    assert.equal(names(store), 'g1', 'the bad file contributes nothing at start');
    assert.ok(lines.some((l) => l.startsWith(`${bad}:6:`) && l.includes('[WFT0001]')), lines.join('\n'));
    assert.ok(lines.some((l) => l === `${bad}: not loaded (errors above): it has no good version yet and contributes nothing`), lines.join('\n'));
    const atStart = lines.length;
    // Another file changes: the unchanged bad file is not reported again.
    await writeFile(good, sa('g2'));
    await until(() => names(store) === 'g2', 'g2');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lines.length, atStart, `repeated: ${lines.slice(atStart).join('\n')}`);
    // Fixed: loads, and that is said once.
    await writeFile(bad, sa('b2'));
    await until(() => names(store) === 'b2,g2', 'b2');
    await until(() => lines.includes(`${bad}: loads without errors again`), 'fixed notice');
    // Broken again: reported, and the last good version (b2) stays.
    await writeFile(bad, `${sa('b3')}  nope: {\n`);
    await until(() => lines.some((l) => l.includes('its last good version stays in effect')), 'kept notice');
    assert.equal(names(store), 'b2,g2');
    const n = lines.filter((l) => l.startsWith(`${bad}:`) && l.includes('Error')).length;
    assert.ok(n >= 2, lines.join('\n'));
  } finally {
    store.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('duplicates name both files; applied overrides and the restored count are reported; sourceOf; --fresh sets state aside', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-notice-'));
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-notice-state-'));
  const lines: string[] = [];
  try {
    await writeFile(path.join(dir, 'a.yaml'), sa('x'));
    await writeFile(path.join(dir, 'b.yaml'), `${sa('x')}---\n${sa('y', 'nowhere')}`);
    const store = new ConfigStore({ watchDir: dir, stateDir: state, debounceMs: 5, report: (l) => lines.push(l) });
    await store.start();
    const dup = lines.find((l) => l.includes('[WFT0003]'));
    // The last definition by path wins, as kubectl apply -f DIR would leave it.
    assert.equal(dup, `${path.join(dir, 'b.yaml')}:1: Warning [WFT0003] ServiceAccount default/x is also defined at ${path.join(dir, 'a.yaml')}:1: this later one is used (the last definition by path wins, as kubectl apply -f of the directory would leave it)`);
    assert.ok(lines.some((l) => l.includes('[WFT0021]') && l.includes('namespace "nowhere" does not exist')), lines.join('\n'));
    const x = store.resources().find((r) => r.metadata.name === 'x')!;
    assert.equal(store.sourceOf(x), path.join(dir, 'b.yaml'));
    lines.length = 0;
    assert.equal((await store.apply([{ file: 'cli.yaml', text: sa('x') }])).ok, true);
    assert.ok(lines.some((l) => l.startsWith(`${path.join(dir, 'b.yaml')}: Warning [WFT0020] ServiceAccount default/x is overridden by the applied version`)), lines.join('\n'));
    assert.equal(store.sourceOf(store.resources().find((r) => r.metadata.name === 'x')!), 'applied');
    store.stop();
    // Restart: the restored count and the override are printed at start.
    lines.length = 0;
    const again = new ConfigStore({ watchDir: dir, stateDir: state, debounceMs: 5, report: (l) => lines.push(l) });
    await again.start();
    again.stop();
    assert.ok(lines.some((l) => l.startsWith(`restored 1 applied resource from ${path.join(state, 'applied.journal')}`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('[WFT0020]')), lines.join('\n'));
    // --fresh: set aside, and a store started afterwards has no applied resources.
    const aside = await setAsideAppliedState(state, new Date('2026-12-07T19:00:00Z'));
    assert.deepEqual(aside, { dir: path.join(state, 'applied.set-aside-20261207T190000Z'), entries: ['applied.journal'] });
    assert.ok((await readdir(state)).includes('applied.set-aside-20261207T190000Z'));
    lines.length = 0;
    const fresh = new ConfigStore({ watchDir: dir, stateDir: state, debounceMs: 5, report: (l) => lines.push(l) });
    await fresh.start();
    fresh.stop();
    assert.equal(lines.some((l) => l.startsWith('restored') || l.includes('[WFT0020]')), false, lines.join('\n'));
    assert.equal(fresh.sourceOf(fresh.resources().find((r) => r.metadata.name === 'x')!), path.join(dir, 'b.yaml'));
    assert.equal(await setAsideAppliedState(state), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
});
