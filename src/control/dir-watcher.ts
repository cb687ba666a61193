/**
 * Watching the config directory: chokidar 4 (inotify on Linux, one watch per directory, re-armed
 * when a file is replaced) tells the store *that* something changed; the store then rescans and
 * compares content hashes, so a missed or duplicated event can never leave it stale for longer
 * than the next event, and no event is trusted for *what* changed.
 *
 * Node 20's recursive `fs.watch` on Linux loses a file's watch once the file is replaced by
 * rename (`sed -i`, vim's and VS Code's atomic save), after which edits and even deletion went
 * unseen (issue 11). chokidar watches directories, sees the rename as unlink+add (folded into a
 * change by its `atomic` option, 100 ms), follows symlinked directories, and is what
 * webpack/vite/jest rely on for exactly these editor behaviours.
 *
 * chokidar drops a second `change` of the same path within 50 ms of the first (its `_throttle`,
 * chokidar/index.js), so an in-place write closely followed by `sed -i` would lose the second
 * edit: every event is therefore followed by one trailing `onChange` {@link SETTLE_MS} later,
 * after chokidar's throttle and atomic (100 ms) windows have passed.
 *
 * Ignored, as `weft apply -f DIR` and the loader ignore them: dotfiles and dot-directories
 * (`.#x.yaml` Emacs locks, `.x.yaml.swp` vim swap files), `node_modules`, and every file that is
 * not `*.yaml|*.yml|*.json` (`x.yaml~` backups, vim's `4913` probe file).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/** Whether a path names a config file the store reads (by its base name). */
export function isConfigFileName(file: string): boolean {
  const base = path.basename(file);
  return !base.startsWith('.') && CONFIG_FILE.test(base);
}

function ignoredSegment(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  if (rel === '' || rel.startsWith('..')) return false;
  return rel.split(path.sep).some((s) => s.startsWith('.') || s === 'node_modules');
}

/** Delay of the trailing change notification after the last event (ms). */
export const SETTLE_MS = 150;

/** A running watch; `close()` releases it. */
export interface DirWatch {
  /** Resolves once the initial tree is being watched. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Longest `close()` waits for the initial scan to finish before closing anyway. */
const CLOSE_WAIT_MS = 2000;

/**
 * Watches `dir` recursively (following symlinked directories) and calls `onChange` for every
 * create, edit, rename, move and delete of a config file, and for directories appearing or
 * disappearing. Watch errors (e.g. the inotify limit) go to `onError`; they never throw.
 */
export function watchConfigDir(dir: string, onChange: () => void, onError: (err: Error) => void = () => undefined): DirWatch {
  // Each real directory is watched through one path: a symlink back up the tree is not a loop.
  const dirs = new Map<string, string>();
  const ignored = (p: string, st?: Stats): boolean => {
    if (ignoredSegment(p, dir)) return true;
    if (!st?.isDirectory()) return false;
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      return false;
    }
    const first = dirs.get(real);
    if (first === undefined) dirs.set(real, p);
    return first !== undefined && first !== p;
  };
  const watcher: FSWatcher = watch(dir, { ignoreInitial: true, followSymlinks: true, atomic: true, ignored });
  let settle: NodeJS.Timeout | undefined;
  watcher.on('all', (event, p) => {
    if (event === 'unlinkDir') for (const [real, seen] of dirs) if (seen === p || seen.startsWith(p + path.sep)) dirs.delete(real);
    if (event !== 'addDir' && event !== 'unlinkDir' && !isConfigFileName(p)) return;
    onChange();
    if (settle) clearTimeout(settle);
    settle = setTimeout(() => {
      settle = undefined;
      onChange();
    }, SETTLE_MS);
  });
  watcher.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    close: async () => {
      if (settle) clearTimeout(settle);
      // Closing chokidar mid initial scan can leave directories it is still adding watched: wait
      // (bounded) for the scan to finish first.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([ready, new Promise<void>((r) => (bound = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(bound);
      await watcher.close();
    },
  };
}

/**
 * The config files below `dir`, sorted by path: `*.yaml|*.yml|*.json`, dotfiles, dot-directories
 * and `node_modules` skipped, symlinks (to files or directories) followed, each real directory
 * entered once (a symlink loop is not followed twice).
 */
export async function listConfigDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(d);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = path.join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await stat(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) await walk(p);
      else if (isFile && CONFIG_FILE.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
