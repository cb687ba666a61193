/**
 * The control plane's config store: a watched directory of YAML plus resources applied over the API
 * (persisted durably in a state directory). Every change is validated first; a file that fails keeps
 * its last good resources, an apply that fails changes nothing. Subscribers get one immutable list
 * of resources per change, debounced.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../config/diagnostic.js';
import type { Resource } from '../config/resource.js';
import { resourceId } from '../config/resource.js';
import { loadTexts, parseText } from '../config/load.js';
import { lookupKind } from '../config/kinds.js';
import { AppliedState } from './applied-state.js';
import { JOURNAL_FILE } from './applied-journal.js';
import type { ApplyStatus } from './apply-log.js';
import { listConfigDir, watchConfigDir, type DirWatch } from './dir-watcher.js';
import { fileNotices, namespaceNotices, NoticePrinter, overlapNotices } from './store-notices.js';
import { unsuppressed, type Suppression } from '../config/suppression.js';

/** Options of a config store. */
export interface ConfigStoreOptions {
  /** Directory of YAML to watch (add, change, delete take effect). */
  readonly watchDir?: string;
  /** Where applied resources are kept across restarts. */
  readonly stateDir?: string;
  /** Quiet period before a change is published (ms, default 100). */
  readonly debounceMs?: number;
  /** Longest a change may wait under a stream of edits (ms, default 1000). */
  readonly maxDelayMs?: number;
  /**
   * Where the store reports, as they happen and once per change (store-notices.ts): files that do
   * not load (file:line) and what stays in effect, duplicates, applied resources overriding files,
   * namespaces that do not exist, and at start how many applied resources were restored.
   */
  readonly report?: (line: string) => void;
  /** `--suppress CODE=Kind name.namespace` entries: matching warnings and infos are not reported (errors always are). */
  readonly suppress?: readonly Suppression[];
}

/** Outcome for one resource of an apply or delete, as kubectl prints it. */
export interface ChangeResult {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: 'created' | 'configured' | 'unchanged' | 'deleted' | 'not found';
}

/** Result of `apply`: per-resource actions, or the diagnostics that refused it (then nothing changed). */
export interface ApplyResult {
  readonly ok: boolean;
  /** The batch's apply id (`weft apply --status ID`); absent for dry runs. */
  readonly applyId?: string;
  readonly results: readonly ChangeResult[];
  readonly diagnostics: readonly Diagnostic[];
}

interface FileState {
  readonly hash: string;
  readonly resources: readonly Resource[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The store. Call `start()` once; `stop()` releases the watcher and timers. */
export class ConfigStore {
  private readonly files = new Map<string, FileState>();
  private readonly applied = new Map<string, Resource>();
  private readonly listeners = new Set<(resources: readonly Resource[]) => void>();
  private watcher?: DirWatch;
  private readonly notices?: NoticePrinter;
  private merged: readonly Resource[] = [];
  private mergedHash = '';
  private timer?: NodeJS.Timeout;
  private firstPending = 0;
  private rescanning: Promise<void> = Promise.resolve();
  private rescanQueued = false;
  private stopped = false;
  private dirDiagnostics: readonly Diagnostic[] = [];
  /** Applied resources' durable side: the journal, apply ids, one batch at a time (applied-state.ts). */
  private readonly appliedState = new AppliedState(this.applied, { manifestOf: (r) => toManifest(r) });

  constructor(private readonly options: ConfigStoreOptions = {}) {
    if (options.report) this.notices = new NoticePrinter(options.report);
  }

  /**
   * Loads the state directory and the watched directory, then starts watching (dir-watcher.ts).
   * A file that does not load at start contributes nothing (there is no last good version) and
   * start proceeds; it is reported.
   */
  async start(): Promise<void> {
    if (this.options.stateDir) {
      await this.loadState();
      if (this.applied.size > 0) {
        this.options.report?.(`restored ${this.applied.size} applied resource${this.applied.size === 1 ? '' : 's'} from ${path.join(this.options.stateDir, JOURNAL_FILE)} (weft apply; they win over the directory's files; start with --fresh to set them aside)`);
      }
    }
    if (this.options.watchDir) {
      await this.rescan();
      const watch = watchConfigDir(this.options.watchDir, () => this.queueRescan(), (err) => this.options.report?.(`watching ${this.options.watchDir}: ${err.message}`));
      this.watcher = watch;
      await watch.ready;
      // Anything changed while the watch was being set up is picked up by one more scan.
      this.queueRescan();
    }
    this.recompute(false);
  }

  /**
   * Stops watching. The returned promise settles once the watcher has released every fs.watch
   * handle: a caller that removes the watched directory before then can leave chokidar re-watching
   * it, and that handle keeps the process alive.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const watcher = this.watcher;
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([watcher?.close(), this.appliedState.close()]);
  }

  /** Where a resource in effect comes from: `applied`, or the watched file's path. */
  sourceOf(r: Resource): string {
    return this.applied.get(resourceId(r)) === r ? 'applied' : r.source.file;
  }

  /** The current merged resources (watched directory plus applied; applied win on the same key). */
  resources(): readonly Resource[] {
    return this.merged;
  }

  /** Problems in the watched directory's files (their last good resources stay in effect). */
  diagnostics(): readonly Diagnostic[] {
    return this.dirDiagnostics;
  }

  /** Subscribes to changes; returns an unsubscribe function. */
  subscribe(fn: (resources: readonly Resource[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Validates and applies documents; all or nothing: the batch is committed by one journal record
   * (applied-journal.ts), so a crash at any instant leaves it wholly applied or not at all.
   * `applyId` names the batch for status queries (one is made when absent); an aborted `signal`
   * before the commit refuses it. Throws ApplyError (apply-limits.ts) for a batch over the limits or
   * a reused id.
   */
  async apply(texts: readonly { file: string; text: string }[], opts: { dryRun?: boolean; applyId?: string; signal?: AbortSignal } = {}): Promise<ApplyResult> {
    // One index of the merged resources per apply, not a scan per resource (5,000 × 5,000 otherwise).
    let byId: Map<string, Resource> | undefined;
    const prevOf = (id: string) => this.applied.get(id) ?? (byId ??= new Map(this.merged.map((m) => [resourceId(m), m]))).get(id);
    return this.appliedState.apply(texts, opts, prevOf, (a, b) => contentHash(a) === contentHash(b), () => this.recompute(true));
  }

  /**
   * Deletes applied resources by key, as one atomic batch like `apply`. Resources that come from the
   * watched directory are not deleted (edit the file).
   */
  async delete(keys: readonly { kind: string; namespace: string; name: string }[], opts: { applyId?: string; signal?: AbortSignal } = {}): Promise<ChangeResult[]> {
    return (await this.appliedState.delete(keys, opts, () => this.recompute(true))).results;
  }

  /** What became of the apply or delete batch `id` (pending, committed, refused, unknown). */
  applyStatus(id: string): ApplyStatus {
    return this.appliedState.status(id);
  }

  /** Warnings from restoring the applied state at start (torn journal record dropped, old layout migrated). */
  stateWarnings(): readonly string[] {
    return this.appliedState.warnings();
  }

  private async loadState(): Promise<void> {
    await this.appliedState.load(this.options.stateDir!);
  }

  private queueRescan(): void {
    if (this.rescanQueued || this.stopped) return;
    this.rescanQueued = true;
    this.rescanning = this.rescanning.then(async () => {
      this.rescanQueued = false;
      await this.rescan();
      this.recompute(true);
    });
  }

  private async rescan(): Promise<void> {
    const dir = this.options.watchDir!;
    const files = await listConfigDir(dir);
    const present = new Set(files);
    for (const f of [...this.files.keys()]) if (!present.has(f)) this.files.delete(f);
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // vanished between listing and reading
      }
      const hash = createHash('sha256').update(text).digest('hex');
      const prev = this.files.get(file);
      if (prev?.hash === hash) continue;
      const out = parseText(file, text);
      const failed = out.diagnostics.some((d) => d.level === 'Error');
      // A file with errors keeps its last good resources; its problems are reported.
      this.files.set(file, { hash, resources: failed ? prev?.resources ?? [] : out.resources, diagnostics: out.diagnostics });
    }
    this.dirDiagnostics = [...this.files.values()].flatMap((s) => s.diagnostics);
  }

  private recompute(notify: boolean): void {
    const byId = new Map<string, Resource>();
    const sorted = [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    // The last definition by path wins (also within a file), as `kubectl apply -f DIR` leaves it.
    for (const state of sorted) {
      for (const r of state[1].resources) byId.set(resourceId(r), r);
    }
    for (const [id, r] of this.applied) byId.set(id, r);
    const merged = Object.freeze([...byId.values()]);
    if (this.notices) {
      const suppress = this.options.suppress ?? [];
      const fileStates = new Map([...this.files].map(([f, st]) => [f, { diagnostics: unsuppressed(st.diagnostics, suppress), keepsLastGood: st.resources.length > 0 }]));
      this.notices.update(
        [...fileNotices(fileStates), ...overlapNotices(sorted.map(([f, st]) => [f, st.resources] as const), this.applied), ...namespaceNotices(merged)],
        new Set(this.files.keys()),
      );
    }
    const hash = createHash('sha256');
    for (const r of merged) hash.update(resourceId(r)).update(contentHash(r));
    const digest = hash.digest('hex');
    // The same content from another place (a file's resource now applied): kept current for
    // sourceOf(), but nothing to publish.
    this.merged = merged;
    if (digest === this.mergedHash) return;
    this.mergedHash = digest;
    if (notify) this.schedule();
  }

  private schedule(): void {
    const debounce = this.options.debounceMs ?? 100;
    const maxDelay = this.options.maxDelayMs ?? 1000;
    const now = Date.now();
    if (!this.timer) this.firstPending = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(debounce, this.firstPending + maxDelay - now));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const fn of this.listeners) fn(this.merged);
    }, wait);
  }
}

/** Annotation recording the file an applied resource came from (where `weft up` runs its Deployment). */
export const SOURCE_FILE_ANNOTATION = 'weft.io/source-file';

/**
 * The manifest form of a resource (apiVersion, kind, metadata, and spec or its top-level content).
 * With `sourceFile` (an absolute path), the file is recorded in an annotation so it survives a restart.
 */
export function toManifest(r: Resource, opts: { sourceFile?: string } = {}): Record<string, unknown> {
  const info = lookupKind(r.apiVersion, r.kind);
  const metadata: Record<string, unknown> = { ...r.metadata };
  if (opts.sourceFile && path.isAbsolute(opts.sourceFile)) {
    metadata.annotations = { ...(r.metadata.annotations ?? {}), [SOURCE_FILE_ANNOTATION]: opts.sourceFile };
  }
  if (!metadata.namespace) delete metadata.namespace;
  const out: Record<string, unknown> = { apiVersion: r.apiVersion, kind: r.kind, metadata };
  if (!info || info.content === 'spec') out.spec = r.spec;
  else Object.assign(out, r.spec as Record<string, unknown>);
  return out;
}

/** Content hashes by resource object: resources are never mutated, and most survive a change unchanged. */
const contentHashes = new WeakMap<Resource, string>();

function contentHash(r: Resource): string {
  let hash = contentHashes.get(r);
  if (hash === undefined) {
    hash = createHash('sha256').update(JSON.stringify([r.apiVersion, r.metadata.labels ?? {}, r.metadata.annotations ?? {}, r.spec])).digest('hex');
    contentHashes.set(r, hash);
  }
  return hash;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
