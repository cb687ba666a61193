/**
 * How `weft exec` obtains a pod's outbound credential (src/proxy/listener/outbound-auth.ts) without it
 * being stored anywhere: from the environment of the pod's running sidecar. The kernel lets only
 * the sidecar's own user (the user running `weft up`) and root read `/proc/PID/environ`
 * (ptrace access mode READ), which is exactly who may act as any pod; an app running as the
 * app user, or another local user, cannot. Linux only (as `weft up`'s loopback pod IPs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { OUTBOUND_CREDENTIAL_ENV } from '../proxy/listener/outbound-auth.js';

/** Result of {@link sidecarCredential}. */
export type CredentialLookup = { readonly credential: string } | { readonly credential?: undefined; readonly reason: string; readonly open?: boolean };

/** Finds the running sidecar proxy bound to `podIp` and reads its outbound credential. */
export function sidecarCredential(podIp: string, procDir = '/proc'): CredentialLookup {
  let pids: string[];
  try {
    pids = readdirSync(procDir).filter((n) => /^\d+$/.test(n));
  } catch {
    return { reason: `${procDir} is not readable (weft exec needs Linux's /proc)` };
  }
  let found = false;
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`${procDir}/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const ip = argv.indexOf('--ip');
    if (!argv.includes('proxy') || argv[argv.indexOf('--role') + 1] !== 'sidecar' || ip < 0 || argv[ip + 1] !== podIp) continue;
    found = true;
    try {
      const env = readFileSync(`${procDir}/${pid}/environ`, 'utf8').split('\0');
      const entry = env.find((e) => e.startsWith(`${OUTBOUND_CREDENTIAL_ENV}=`));
      if (entry) return { credential: entry.slice(OUTBOUND_CREDENTIAL_ENV.length + 1) };
      return { reason: `the sidecar of ${podIp} has no outbound credential (its outbound listener is open)`, open: true };
    } catch {
      // Not ours: keep looking (another mesh may reuse the address), then report.
    }
  }
  return { reason: found ? `only the user running weft up (or root) can read the outbound credential of ${podIp}` : `no running sidecar on ${podIp} on this host` };
}
