import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile, rm, mkdir, readdir, stat, appendFile, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppliedJournal, decodeJournal, encodeRecord, JOURNAL_FILE, type JournalRecord } from './applied-journal.js';
import { AppliedState } from './applied-state.js';
import { ConfigStore, toManifest } from './config-store.js';
import { ApplyError, countDocuments, MAX_APPLY_RESOURCES } from './apply-limits.js';
import type { Resource } from '../config/resource.js';

const sa = (name: string, ns = 'default') => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${ns}}\n`;
const rec = (id: string, names: string[]): JournalRecord => ({ op: 'apply', id, time: '2026-01-01T00:00:00Z', files: [{ file: '-', text: names.map((n) => sa(n)).join('---\n') }], count: names.length });

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'weft-journal-'));
}

test('records round-trip; a record cut at any byte is dropped, never half-read', () => {
  const a = encodeRecord(rec('ap-aaaaaaaa', ['a']));
  const b = encodeRecord(rec('ap-bbbbbbbb', ['b', 'c']));
  const whole = Buffer.concat([a, b]);
  assert.deepEqual(decodeJournal(whole).records.map((r) => (r as { id: string }).id), ['ap-aaaaaaaa', 'ap-bbbbbbbb']);
  for (let cut = a.length; cut < whole.length; cut++) {
    const out = decodeJournal(whole.subarray(0, cut));
    assert.equal(out.records.length, 1, `cut at ${cut}`);
    assert.equal(out.goodBytes, a.length);
    if (cut > a.length) assert.equal(out.problem?.last, true, `cut at ${cut}: ${out.problem?.reason}`);
  }
});

test('a torn last record is dropped with a warning and the file repaired, so later appends are read', async () => {
  const dir = await tmp();
  try {
    const file = path.join(dir, JOURNAL_FILE);
    const j = new AppliedJournal(file);
    await j.replay();
    await j.append(rec('ap-11111111', ['a']));
    await j.append(rec('ap-22222222', ['b']));
    await j.close();
    const full = (await stat(file)).size;
    await truncate(file, full - 7); // the second record lost its tail (crash during write)
    const j2 = new AppliedJournal(file);
    const r2 = await j2.replay();
    assert.deepEqual(r2.records.map((r) => (r as { id: string }).id), ['ap-11111111']);
    assert.match(r2.warnings.join('\n'), /dropped the last record \(incomplete record/);
    await j2.append(rec('ap-33333333', ['c']));
    await j2.close();
    const r3 = await new AppliedJournal(file).replay();
    assert.deepEqual(r3.records.map((r) => (r as { id: string }).id), ['ap-11111111', 'ap-33333333']);
    assert.deepEqual(r3.warnings, []);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a checksum mismatch in the last record drops it; in the middle, replay stops there and keeps the file aside', async () => {
  const dir = await tmp();
  try {
    const file = path.join(dir, JOURNAL_FILE);
    const a = encodeRecord(rec('ap-11111111', ['a']));
    const b = encodeRecord(rec('ap-22222222', ['b']));
    const flipped = Buffer.from(b);
    const at = flipped.indexOf('ServiceAccount');
    flipped[at] = 's'.charCodeAt(0); // same length, wrong content
    await writeFile(file, Buffer.concat([a, flipped]));
    const r1 = await new AppliedJournal(file).replay();
    assert.deepEqual(r1.records.length, 1);
    assert.match(r1.warnings[0]!, /checksum mismatch/);
    assert.equal((await readFile(file)).length, a.length);

    await writeFile(file, Buffer.concat([a, flipped, b]));
    const r2 = await new AppliedJournal(file).replay();
    assert.deepEqual(r2.records.length, 1);
    assert.match(r2.warnings[0]!, /corrupt at byte \d+ \(checksum mismatch\).*kept as/);
    assert.ok((await readdir(dir)).some((f) => f.startsWith(`${JOURNAL_FILE}.corrupt-`)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('garbage appended after good records is not replayed', async () => {
  const dir = await tmp();
  try {
    const file = path.join(dir, JOURNAL_FILE);
    await writeFile(file, encodeRecord(rec('ap-11111111', ['a'])));
    await appendFile(file, 'WJ1 99999 ' + '0'.repeat(64) + '\n{"op":"apply"');
    const r = await new AppliedJournal(file).replay();
    assert.equal(r.records.length, 1);
    assert.equal(r.warnings.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('compaction keeps the state and the committed apply ids, and shrinks the journal', async () => {
  const dir = await tmp();
  try {
    const applied = new Map<string, Resource>();
    const state = new AppliedState(applied, { manifestOf: (r) => toManifest(r), compactBytes: 2000 });
    await state.load(dir);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await state.apply([{ file: '/cfg/a.yaml', text: sa(`sa-${i % 5}`) + `---\n` + sa(`x-${i}`) }], {}, (id) => applied.get(id), () => false, () => undefined);
      ids.push(res.applyId!);
    }
    const del = await state.delete([{ kind: 'ServiceAccount', namespace: 'default', name: 'x-3' }], {}, () => undefined);
    await state.close();
    const size = (await stat(path.join(dir, JOURNAL_FILE))).size;
    assert.ok(size < 8000, `journal is ${size} bytes after compaction`);
    const after = new Map<string, Resource>();
    const restored = new AppliedState(after, { manifestOf: (r) => toManifest(r) });
    await restored.load(dir);
    assert.deepEqual([...after.keys()].sort(), [...applied.keys()].sort());
    assert.equal(after.size, 5 + 29);
    assert.equal(after.get('ServiceAccount/default/x-7')!.source.file, '/cfg/a.yaml');
    for (const id of ids) assert.equal(restored.status(id).status, 'committed', id);
    assert.equal(restored.status(del.applyId).status, 'committed');
    assert.equal(restored.status('ap-never-sent').status, 'unknown');
    assert.deepEqual(restored.warnings(), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("today's per-resource layout is migrated once into the journal, atomically, and the old files removed", async () => {
  const dir = await tmp();
  try {
    await mkdir(path.join(dir, 'config', 'default'), { recursive: true });
    await writeFile(path.join(dir, 'config', 'default', 'serviceaccount.a.yaml'), sa('a'));
    await writeFile(path.join(dir, 'config', 'default', 'serviceaccount.b.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n  namespace: default\n  annotations: {weft.io/source-file: /apps/b.yaml}\n`);
    const store = new ConfigStore({ stateDir: dir });
    await store.start();
    assert.deepEqual(store.resources().map((r) => r.metadata.name).sort(), ['a', 'b']);
    assert.match(store.stateWarnings().join('\n'), /migrated 2 applied resource\(s\)/);
    store.stop();
    assert.deepEqual((await readdir(dir)).sort(), [JOURNAL_FILE]);
    assert.equal((await stat(path.join(dir, JOURNAL_FILE))).mode & 0o777, 0o600);
    const again = new ConfigStore({ stateDir: dir });
    await again.start();
    assert.deepEqual(again.resources().map((r) => r.metadata.name).sort(), ['a', 'b']);
    assert.equal(again.resources().find((r) => r.metadata.name === 'b')!.metadata.annotations?.['weft.io/source-file'], '/apps/b.yaml');
    assert.deepEqual(again.stateWarnings(), []);
    again.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('apply ids: committed, refused (invalid), reused (409), too many resources (413, counted before parsing)', async () => {
  const dir = await tmp();
  try {
    const store = new ConfigStore({ stateDir: dir });
    await store.start();
    const ok = await store.apply([{ file: '-', text: sa('a') }], { applyId: 'my-apply-1' });
    assert.equal(ok.applyId, 'my-apply-1');
    assert.equal(store.applyStatus('my-apply-1').status, 'committed');
    const bad = await store.apply([{ file: '-', text: sa('BAD') }], { applyId: 'my-apply-2' });
    assert.equal(bad.ok, false);
    assert.equal(store.applyStatus('my-apply-2').status, 'refused');
    await assert.rejects(store.apply([{ file: '-', text: sa('c') }], { applyId: 'my-apply-1' }), (e: unknown) => e instanceof ApplyError && e.status === 409);
    const many = Array.from({ length: MAX_APPLY_RESOURCES + 1 }, (_, i) => sa(`s${i}`)).join('---\n');
    await assert.rejects(store.apply([{ file: '-', text: many }], { applyId: 'my-apply-3' }), (e: unknown) => e instanceof ApplyError && e.status === 413 && /limit of 5000/.test(e.message));
    assert.equal(store.applyStatus('my-apply-3').status, 'refused');
    const gone = new AbortController();
    gone.abort();
    await assert.rejects(store.apply([{ file: '-', text: sa('d') }], { applyId: 'my-apply-4', signal: gone.signal }), /disconnected/);
    assert.deepEqual(store.resources().map((r) => r.metadata.name), ['a']);
    store.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('countDocuments counts non-empty documents without parsing', () => {
  assert.equal(countDocuments([{ text: sa('a') }]), 1);
  assert.equal(countDocuments([{ text: `---\n${sa('a')}---\n# only a comment\n---\n${sa('b')}...\n` }]), 2);
  assert.equal(countDocuments([{ text: '--- {a: 1}\n--- {b: 2}\n' }, { text: '' }, { text: '\n\n' }]), 2);
  assert.equal(countDocuments([{ text: 'a: |\n  ---\n  x\n' }]), 1);
  assert.equal(countDocuments([{ text: Array.from({ length: 10 }, () => sa('x')).join('---\n') }], 3), 3);
});
