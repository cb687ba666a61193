/**
 * The applied side of the config store: resources created by `weft apply`, removed by `weft delete`,
 * committed one batch at a time through the journal (applied-journal.ts) and given apply ids
 * (apply-log.ts). One batch commits at a time, in arrival order, so results ("created",
 * "configured") describe exactly the state the batch was committed on, as the Kubernetes API server
 * serializes writes through etcd.
 *
 * At start the journal is replayed. A state directory from before the journal (one file per
 * resource, `STATE/config/<ns>/<kind>.<name>.yaml`) is migrated once: its resources are written
 * as the journal's first snapshot (one atomic rename), then the old files are removed. Once the
 * journal exists it alone is authoritative, so a crash between the two steps is harmless.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Resource } from '../config/resource.js';
import { resourceId } from '../config/resource.js';
import { loadTexts } from '../config/load.js';
import { loadTextsPaced } from './paced-load.js';
import { AppliedJournal, JOURNAL_FILE, type JournalFile, type JournalRecord, type SnapshotRecord } from './applied-journal.js';
import { ApplyLog, isValidApplyId, newApplyId, type ApplyStatus } from './apply-log.js';
import { ApplyError, ApplyErrorCode, countDocuments, MAX_APPLY_RESOURCES, tooManyResourcesError } from './apply-limits.js';
import type { ApplyResult, ChangeResult } from './config-store.js';

/** Name of the pre-journal per-resource directory inside the state directory. */
export const LEGACY_CONFIG_DIR = 'config';

/** Where a resource came from, for `weft apply`'s results: the current resource with the same key, if any. */
export type PreviousOf = (id: string) => Resource | undefined;

/** Options of the applied state. */
export interface AppliedStateOptions {
  /** The manifest form of a resource (config-store.ts's `toManifest`). */
  readonly manifestOf: (r: Resource) => Record<string, unknown>;
  /** Journal size that triggers compaction (applied-journal.ts). */
  readonly compactBytes?: number;
}

/** Applied resources, their journal and their apply ids. `applied` is the store's own map, changed in place. */
export class AppliedState {
  private journal?: AppliedJournal;
  private stateDir?: string;
  private readonly log = new ApplyLog();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly warns: string[] = [];

  constructor(
    private readonly applied: Map<string, Resource>,
    private readonly options: AppliedStateOptions,
  ) {}

  /** Replays `stateDir`'s journal (migrating the old layout first when there is no journal yet). */
  async load(stateDir: string): Promise<void> {
    this.stateDir = stateDir;
    const file = path.join(stateDir, JOURNAL_FILE);
    const journal = new AppliedJournal(file, { compactBytes: this.options.compactBytes });
    const replay = await journal.replay();
    this.warns.push(...replay.warnings);
    const legacyDir = path.join(stateDir, LEGACY_CONFIG_DIR);
    if (!replay.existed) {
      const legacy = await readLegacy(legacyDir);
      if (legacy.length > 0) {
        const loaded = loadTexts(legacy);
        for (const r of loaded.resources) this.applied.set(resourceId(r), r);
        // The journal is born with the migrated state in one atomic step (temp, fsync, rename).
        await journal.compact(this.snapshot());
        this.warns.push(`migrated ${loaded.resources.length} applied resource(s) from ${legacyDir} (one file each) into ${file} (one atomic journal); the old files are removed`);
      }
    } else {
      for (const rec of replay.records) this.replayRecord(rec, file);
    }
    await rm(legacyDir, { recursive: true, force: true });
    this.journal = journal;
  }

  /** Warnings of `load` (dropped torn record, corruption, migration). */
  warnings(): readonly string[] {
    return this.warns;
  }

  /** The status of a batch. */
  status(id: string): ApplyStatus {
    return this.log.get(id);
  }

  /** Closes the journal file. */
  async close(): Promise<void> {
    await this.journal?.close();
  }

  /**
   * Validates and commits an apply batch (see ConfigStore.apply). `prevOf` gives the resource a key
   * currently has, `same` compares contents, `changed` is called after a commit.
   */
  async apply(
    texts: readonly { file: string; text: string }[],
    opts: { dryRun?: boolean; applyId?: string; signal?: AbortSignal },
    prevOf: PreviousOf,
    same: (a: Resource, b: Resource) => boolean,
    changed: () => void,
  ): Promise<ApplyResult> {
    const id = opts.dryRun ? undefined : this.begin(opts.applyId, 'apply');
    try {
      const docs = countDocuments(texts, MAX_APPLY_RESOURCES + 1);
      if (docs > MAX_APPLY_RESOURCES) throw tooManyResourcesError(docs, true);
      // Parsed in slices, yielding between them: the control plane keeps serving xDS meanwhile (paced-load.ts).
      const loaded = await loadTextsPaced(texts);
      const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
      if (errors.length > 0) {
        if (id) this.log.refused(id, 'apply', `invalid configuration (${errors.length} error(s)); nothing was changed`);
        return { ok: false, applyId: id, results: [], diagnostics: loaded.diagnostics };
      }
      if (loaded.resources.length > MAX_APPLY_RESOURCES) throw tooManyResourcesError(loaded.resources.length);
      return await this.serial(async () => {
        const results: ChangeResult[] = loaded.resources.map((r) => {
          const prev = prevOf(resourceId(r));
          const action = !prev ? 'created' : same(prev, r) ? 'unchanged' : 'configured';
          return { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name, action };
        });
        if (!id) return { ok: true, results, diagnostics: loaded.diagnostics };
        this.checkClient(opts.signal);
        const time = new Date().toISOString();
        // The commit point: one fsynced record holds the whole batch.
        await this.journal?.append({ op: 'apply', id, time, files: texts.map((t) => ({ file: t.file, text: t.text })), count: loaded.resources.length });
        for (const r of loaded.resources) this.applied.set(resourceId(r), r);
        this.log.committed({ id, op: 'apply', time, count: loaded.resources.length });
        changed();
        await this.maybeCompact();
        return { ok: true, applyId: id, results, diagnostics: loaded.diagnostics };
      });
    } catch (err) {
      if (id) this.log.refused(id, 'apply', (err as Error).message);
      throw err;
    }
  }

  /** Deletes applied resources by key as one committed batch. */
  async delete(
    keys: readonly { kind: string; namespace: string; name: string }[],
    opts: { applyId?: string; signal?: AbortSignal },
    changed: () => void,
  ): Promise<{ applyId: string; results: ChangeResult[] }> {
    const id = this.begin(opts.applyId, 'delete');
    try {
      if (keys.length > MAX_APPLY_RESOURCES) throw tooManyResourcesError(keys.length);
      return await this.serial(async () => {
        const results: ChangeResult[] = [];
        const found: string[] = [];
        for (const k of keys) {
          const key = `${k.kind}/${k.namespace}/${k.name}`;
          const present = this.applied.has(key) && !found.includes(key);
          if (present) found.push(key);
          results.push({ ...k, action: present ? 'deleted' : 'not found' });
        }
        this.checkClient(opts.signal);
        const time = new Date().toISOString();
        await this.journal?.append({ op: 'delete', id, time, keys: found });
        for (const key of found) this.applied.delete(key);
        this.log.committed({ id, op: 'delete', time, count: found.length });
        changed();
        await this.maybeCompact();
        return { applyId: id, results };
      });
    } catch (err) {
      this.log.refused(id, 'delete', (err as Error).message);
      throw err;
    }
  }

  /** Checks and reserves an apply id (a fresh one when none is given). */
  private begin(requested: string | undefined, op: 'apply' | 'delete'): string {
    const id = requested ?? newApplyId();
    if (!isValidApplyId(id)) throw new ApplyError(ApplyErrorCode.BadId, `apply id "${id.slice(0, 80)}" is malformed: 8 to 64 characters of A-Z a-z 0-9 . _ -`, 400);
    if (!this.log.begin(id, op)) throw new ApplyError(ApplyErrorCode.IdInUse, `apply id ${id} was already used (${this.log.get(id).status}); use a fresh id`, 409);
    return id;
  }

  /** Refuses to commit for a client that has gone away: it could not learn the outcome otherwise than by asking. */
  private checkClient(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new ApplyError(ApplyErrorCode.ClientGone, 'the client disconnected before the batch was committed; nothing was changed', 499);
  }

  /** Runs batches one at a time, in arrival order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async maybeCompact(): Promise<void> {
    if (!this.journal?.needsCompaction()) return;
    try {
      await this.journal.compact(this.snapshot());
    } catch (err) {
      // The journal as it was is still complete and valid; compaction is retried after the next commit.
      this.warns.push(`compacting ${this.journal.file} failed: ${(err as Error).message}`);
    }
  }

  /** The whole applied state as one snapshot record, each resource under the file it was applied from. */
  private snapshot(): SnapshotRecord {
    const byFile = new Map<string, string[]>();
    for (const r of this.applied.values()) {
      const file = this.snapshotFileOf(r);
      const docs = byFile.get(file) ?? [];
      docs.push(stringify(this.options.manifestOf(r)));
      byFile.set(file, docs);
    }
    const files: JournalFile[] = [...byFile].map(([file, docs]) => ({ file, text: docs.join('---\n') }));
    return { op: 'snapshot', time: new Date().toISOString(), files, commits: this.log.commits() };
  }

  /** The file a resource was applied from; `-` for stdin and for the old layout's own files. */
  private snapshotFileOf(r: Resource): string {
    const f = r.source.file;
    if (!path.isAbsolute(f) || (this.stateDir && f.startsWith(path.join(this.stateDir, LEGACY_CONFIG_DIR) + path.sep))) return '-';
    return f;
  }

  private replayRecord(rec: JournalRecord, journalFile: string): void {
    if (rec.op === 'delete') {
      for (const key of rec.keys) this.applied.delete(key);
      this.log.committed({ id: rec.id, op: 'delete', time: rec.time, count: rec.keys.length });
      return;
    }
    if (rec.op === 'snapshot') this.applied.clear();
    const loaded = loadTexts(rec.files);
    const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
    if (errors.length > 0) this.warns.push(`${journalFile}: ${errors.length} resource(s) of ${rec.op === 'apply' ? `apply ${rec.id}` : 'the snapshot'} no longer load: ${errors[0]!.message}`);
    for (const r of loaded.resources) this.applied.set(resourceId(r), r);
    if (rec.op === 'apply') this.log.committed({ id: rec.id, op: 'apply', time: rec.time, count: rec.count });
    else for (const c of rec.commits) this.log.committed(c);
  }
}

/** The old layout's files (`config/<ns>/<kind>.<name>.yaml`), sorted; none when the directory is absent. */
async function readLegacy(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push({ file: p, text: await readFile(p, 'utf8') });
    }
  };
  await walk(dir);
  return out;
}
