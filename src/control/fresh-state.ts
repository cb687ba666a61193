/**
 * `--fresh` (weft up, weft control): start without the applied state. The applied resources are
 * not deleted but set aside — the state directory's `config/` is renamed to
 * `config.set-aside-<UTC time>/` — so nothing a user applied is lost: moving it back restores it.
 * The CA, the token key and logs are kept (they are not configuration).
 */
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/** What was set aside: the new directory and how many resource files it holds. */
export interface SetAside {
  readonly dir: string;
  readonly files: number;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += await countFiles(path.join(dir, e.name));
    else if (e.isFile() && !e.name.endsWith('.tmp')) n++;
  }
  return n;
}

/**
 * Renames `<storeStateDir>/config` aside; undefined when there is no applied state to set aside.
 * `storeStateDir` is the config store's `stateDir` (weft up: `STATE/store`; weft control: `--state`).
 */
export async function setAsideAppliedState(storeStateDir: string, now: Date = new Date()): Promise<SetAside | undefined> {
  const from = path.join(storeStateDir, 'config');
  try {
    if (!(await stat(from)).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const files = await countFiles(from);
  if (files === 0) return undefined;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let to = path.join(storeStateDir, `config.set-aside-${stamp}`);
  for (let i = 1; await stat(to).then(() => true, () => false); i++) to = path.join(storeStateDir, `config.set-aside-${stamp}-${i}`);
  await rename(from, to);
  return { dir: to, files };
}
