/**
 * How a `weft proxy` process learns where its identity comes from (flags first, then environment):
 * - `--ca HOST:PORT` / `WEFT_CA_ADDRESS`: the CA's CSR service (the control plane's port 15012);
 * - `--ca-root FILE` / `WEFT_CA_ROOT`: the mesh root certificate (verifies the CA and, until SDS
 *   sends ROOTCA, peers);
 * - `--token-file FILE` / `WEFT_BOOTSTRAP_TOKEN`: the single-use bootstrap token the starting
 *   process minted for this proxy's namespace and service account (the file is read once);
 * - `--cert-ttl DURATION`: requested certificate lifetime (`24h` default at the CA, `10s` for tests).
 * Without a CA address and root the proxy runs without a workload certificate.
 */
import { readFileSync } from 'node:fs';
import { parseDuration } from '../../config/duration.js';
import type { ProxyIdentityOptions } from './proxy-tls.js';

/** Raw settings as given on the command line. */
export interface IdentityFlags {
  readonly ca?: string;
  readonly caRoot?: string;
  readonly tokenFile?: string;
  readonly certTtl?: string;
  readonly trustDomain?: string;
}

/** Error code of invalid identity settings. */
export const IDENTITY_CONFIG_ERROR = 'IDENTITY_CONFIG_INVALID';

/** Resolves flags and environment into identity options (undefined: no identity). */
export function identityFromFlags(flags: IdentityFlags, env: NodeJS.ProcessEnv): ProxyIdentityOptions | undefined {
  const caAddress = flags.ca ?? env['WEFT_CA_ADDRESS'];
  const rootFile = flags.caRoot ?? env['WEFT_CA_ROOT'];
  if (!caAddress && !rootFile) return undefined;
  if (!caAddress || !rootFile) throw configError('both --ca and --ca-root (or WEFT_CA_ADDRESS and WEFT_CA_ROOT) are needed for a workload identity');
  let token = env['WEFT_BOOTSTRAP_TOKEN'];
  if (flags.tokenFile) {
    try {
      token = readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (err) {
      throw configError(`cannot read --token-file ${flags.tokenFile}: ${(err as Error).message}`);
    }
  }
  let ttlMs: number | undefined;
  if (flags.certTtl !== undefined) {
    ttlMs = parseDuration(flags.certTtl);
    if (ttlMs === undefined || ttlMs <= 0) throw configError(`--cert-ttl: not a duration: ${flags.certTtl}`);
  }
  let rootCertPem: string;
  try {
    rootCertPem = readFileSync(rootFile, 'utf8');
  } catch (err) {
    throw configError(`cannot read --ca-root ${rootFile}: ${(err as Error).message}`);
  }
  return { caAddress, rootCertPem, token, ttlMs, trustDomain: flags.trustDomain };
}

function configError(message: string): Error {
  return Object.assign(new Error(`${IDENTITY_CONFIG_ERROR}: ${message}`), { code: IDENTITY_CONFIG_ERROR });
}
