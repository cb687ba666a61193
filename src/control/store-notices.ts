/**
 * What the config store tells the terminal (`weft up`, `weft control`) about the watched directory
 * and the applied state: a file that does not load (file:line, reason, and whether its last good
 * version stays in effect), a file that loads again, the same resource defined in two files, an
 * applied resource that overrides a file's, and resources in namespaces that do not exist.
 *
 * Each notice has a key; a {@link NoticePrinter} prints a notice when its key first appears and
 * forgets it when it disappears, so a problem is printed once per change — not at every rescan —
 * and again if it comes back. A bad file's key is what it says, not the file's content hash: a
 * file read mid-write and then whole, with the same error, is reported once.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import { formatKey } from '../config/diagnostic.js';
import type { Resource } from '../config/resource.js';
import { resourceId } from '../config/resource.js';
import { namespaceWarnings } from '../config/namespaces.js';

/** One line for the terminal and the key that dedupes it. */
export interface StoreNotice {
  readonly key: string;
  readonly text: string;
}

/** Stable codes of the store's own warnings. */
export const StoreNoticeCodes = {
  /** The same kind/namespace/name defined twice in the watched directory (the last by path wins). */
  DuplicateInDirectory: 'WFT0003',
  /** An applied resource overrides a file's resource with the same kind/namespace/name. */
  AppliedOverridesFile: 'WFT0020',
} as const;

/** A watched file's state, as far as notices need it. */
export interface FileNoticeState {
  readonly diagnostics: readonly Diagnostic[];
  /** Whether the file has resources in effect (its last good version) despite errors. */
  readonly keepsLastGood: boolean;
}

function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}:${d.source.column}: ` : '';
  return `${where}${d.level} [${d.code}] ${d.message}${d.resource ? ` (${formatKey(d.resource)})` : ''}`;
}

/** Notices for the directory's files: every diagnostic, and what stays in effect for a file with errors. */
export function fileNotices(files: ReadonlyMap<string, FileNoticeState>): StoreNotice[] {
  const out: StoreNotice[] = [];
  for (const [file, s] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const failed = s.diagnostics.some((d) => d.level === 'Error');
    // Keyed by what is said, not by the file's hash: a file read while it was still being written, then
    // whole, with the same error, is reported once.
    for (const d of s.diagnostics) out.push({ key: `file\0${file}\0${formatDiagnostic(d)}`, text: formatDiagnostic(d) });
    if (failed) {
      out.push({
        key: `file-kept\0${file}\0${s.keepsLastGood}`,
        text: s.keepsLastGood
          ? `${file}: not loaded (errors above): its last good version stays in effect`
          : `${file}: not loaded (errors above): it has no good version yet and contributes nothing`,
      });
    }
  }
  return out;
}

/**
 * Resources defined more than once (across files, or twice in one file): the last definition by
 * path wins, as the store merges and as `kubectl apply -f DIR` would leave it; and applied
 * resources that override a file's. Each notice names both places.
 */
export function overlapNotices(files: readonly (readonly [string, readonly Resource[]])[], applied: ReadonlyMap<string, Resource>): StoreNotice[] {
  const out: StoreNotice[] = [];
  const last = new Map<string, { file: string; r: Resource }>();
  for (const [file, resources] of files) {
    for (const r of resources) {
      const id = resourceId(r);
      const prior = last.get(id);
      last.set(id, { file, r });
      if (prior === undefined) continue;
      const before = `${prior.file}:${prior.r.source.line}`;
      out.push({
        key: `dup\0${id}\0${before}\0${file}:${r.source.line}`,
        text: `${file}:${r.source.line}: Warning [${StoreNoticeCodes.DuplicateInDirectory}] ${formatKey({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name })} is also defined at ${before}: this later one is used (the last definition by path wins, as kubectl apply -f of the directory would leave it)`,
      });
    }
  }
  for (const [id, r] of applied) {
    const file = last.get(id)?.file;
    if (file === undefined) continue;
    out.push({
      key: `override\0${id}\0${file}`,
      text: `${file}: Warning [${StoreNoticeCodes.AppliedOverridesFile}] ${formatKey({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name })} is overridden by the applied version (weft apply; kept in the state directory): edits to this file's copy have no effect until 'weft delete' removes the applied one`,
    });
  }
  return out;
}

/** Namespace warnings (namespaces.ts) over the merged resources, one notice per resource. */
export function namespaceNotices(merged: readonly Resource[]): StoreNotice[] {
  return namespaceWarnings(merged).map((d) => ({ key: `ns\0${d.resource ? formatKey(d.resource) : ''}\0${d.message}`, text: formatDiagnostic(d) }));
}

/** Prints each notice once while it holds; a notice that goes and comes back is printed again. */
export class NoticePrinter {
  private shown = new Map<string, string>();

  constructor(private readonly print: (line: string) => void) {}

  /**
   * Prints new notices; returns how many were printed. A file that had errors and has none now is
   * said to load again (or to be gone, when it is not in `files`).
   */
  update(notices: readonly StoreNotice[], files?: ReadonlySet<string>): number {
    const next = new Map<string, string>();
    let printed = 0;
    for (const n of notices) {
      if (next.has(n.key)) continue;
      next.set(n.key, n.text);
      if (!this.shown.has(n.key)) {
        this.print(n.text);
        printed++;
      }
    }
    // A file that had errors and has none now is said to load again.
    const failedBefore = new Set([...this.shown.keys()].filter((k) => k.startsWith('file-kept\0')).map((k) => k.split('\0')[1]!));
    const failedNow = new Set([...next.keys()].filter((k) => k.startsWith('file-kept\0')).map((k) => k.split('\0')[1]!));
    for (const f of failedBefore) {
      if (!failedNow.has(f)) {
        this.print(files && !files.has(f) ? `${f}: removed (its errors are gone with it)` : `${f}: loads without errors again`);
        printed++;
      }
    }
    this.shown = next;
    return printed;
  }
}
