/**
 * The state directory is private to the user running Weft: it holds applied Secrets
 * (`store/config/…`), the CA key and root (`store/ca-key.pem`, `store/root-cert.pem`), the
 * bootstrap-token key, logs and the pods' outbound credentials. Files Weft writes there are 0600
 * and directories 0700 (src/util/durable-file.ts, src/up/*), as Kubernetes keeps Secret volumes
 * and Istio keeps `/etc/certs` readable only by the proxy's user; a state directory left by an
 * older Weft (files 0644, directories 0755) is tightened at start by {@link secureStateDir}.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Mode of every directory below the state directory. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file below the state directory. */
export const PRIVATE_FILE_MODE = 0o600;

/** What a control plane writes in its state directory (applied config, self-signed CA, token key). */
export const STATE_ENTRIES: readonly string[] = ['config', 'applied.journal', 'ca-key.pem', 'root-cert.pem', 'bootstrap-token.key'];

/** Bound on the entries visited (a state directory has a few per applied resource and per pod). */
const MAX_ENTRIES = 100_000;

/**
 * Creates `dir` (0700) if missing and removes group and other permissions from it and from
 * everything this user owns below its `entries` (the names Weft writes there; a state directory
 * given by the user may hold other things, which are left alone apart from the directory's own
 * mode, which already keeps other users out); symbolic links are neither followed nor changed.
 * Returns the paths whose mode was tightened (callers report them once).
 */
export async function secureStateDir(dir: string, entries: readonly string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tightened: string[] = [];
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const top = await lstat(dir);
  if ((uid === undefined || top.uid === uid) && (top.mode & 0o077) !== 0) {
    await chmod(dir, top.mode & 0o700);
    tightened.push(dir);
  }
  const queue = entries.map((e) => path.join(dir, e));
  let visited = 0;
  while (queue.length > 0 && visited < MAX_ENTRIES) {
    const p = queue.pop()!;
    visited++;
    let st;
    try {
      st = await lstat(p);
    } catch {
      continue; // removed meanwhile
    }
    if (st.isSymbolicLink()) continue;
    if (uid !== undefined && st.uid !== uid) continue;
    if ((st.mode & 0o077) !== 0) {
      try {
        await chmod(p, st.mode & 0o700);
        tightened.push(p);
      } catch {
        // not ours to change (read-only filesystem): left as is
      }
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = await readdir(p);
      } catch {
        continue;
      }
      for (const n of names) queue.push(path.join(p, n));
    }
  }
  return tightened;
}
