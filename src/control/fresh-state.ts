/**
 * `--fresh` (weft up, weft control): start without the applied state. The applied resources are
 * not deleted but set aside — the store's journal (`applied.journal`, applied-journal.ts) and any
 * older per-resource `config/` directory are moved into `applied.set-aside-<UTC time>/` — so
 * nothing a user applied is lost: moving them back restores it. The CA, the token key and logs are
 * kept (they are not configuration).
 */
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL_FILE } from './applied-journal.js';

/** What was set aside: the new directory and the entries moved into it. */
export interface SetAside {
  readonly dir: string;
  /** Names moved (`applied.journal`, `config`), each back to the store's state directory to restore. */
  readonly entries: readonly string[];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/**
 * Moves the applied state of `storeStateDir` (weft up: `STATE/store`; weft control: `--state`)
 * aside; undefined when there is none.
 */
export async function setAsideAppliedState(storeStateDir: string, now: Date = new Date()): Promise<SetAside | undefined> {
  const names = (await readdir(storeStateDir).catch(() => [] as string[])).filter((n) => n === JOURNAL_FILE || n === 'config');
  const entries: string[] = [];
  for (const n of names) {
    const p = path.join(storeStateDir, n);
    // An empty legacy directory or journal holds nothing to set aside.
    const s = await stat(p);
    if (s.isDirectory() ? (await readdir(p)).length > 0 : s.size > 0) entries.push(n);
  }
  if (entries.length === 0) return undefined;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let to = path.join(storeStateDir, `applied.set-aside-${stamp}`);
  for (let i = 1; await exists(to); i++) to = path.join(storeStateDir, `applied.set-aside-${stamp}-${i}`);
  await mkdir(to, { mode: 0o700 });
  for (const n of entries) await rename(path.join(storeStateDir, n), path.join(to, n));
  return { dir: to, entries };
}
