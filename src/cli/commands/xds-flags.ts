/**
 * The xDS port flags `weft control` and `weft up` share. As istiod: authenticated xDS and the CA
 * share one gRPC-over-TLS port, 15012 (`--xds-port`, `--ca-port` kept as its alias; -1 turns both
 * off); plaintext xDS, Istio's 15010, only when asked for (`--insecure-xds-port`), for local
 * debugging and proxies without a workload identity: its streams are unauthenticated and never
 * get secrets.
 */
import { numberFlag, type FlagSpec, type ParsedArgs } from '../args.js';

/** Istio's secure xDS + CA port. */
export const SECURE_XDS_PORT = 15012;

/** Flag specs (no defaults in the specs: `--xds-port` and `--ca-port` are resolved together). */
export const XDS_PORT_FLAGS: readonly FlagSpec[] = [
  { name: 'xds-port', type: 'number', description: 'authenticated xDS (mTLS with workload certificates) and the CA, one gRPC-over-TLS port as istiod\'s; default 15012; -1 turns both off' },
  { name: 'ca-port', type: 'number', description: 'alias of --xds-port (the CA and xDS share the port)' },
  { name: 'insecure-xds-port', type: 'number', valueName: 'PORT', description: 'also serve plaintext xDS here (Istio\'s 15010; 0 = any free port): unauthenticated, never sends secrets; for local debugging only, off by default' },
];

/** The secure port from `--xds-port`/`--ca-port` (default 15012); `warn` hears about a conflicting pair. */
export function secureXdsPort(args: ParsedArgs, warn: (line: string) => void): number {
  const xds = numberFlag(args, 'xds-port');
  const ca = numberFlag(args, 'ca-port');
  if (xds !== undefined && ca !== undefined && xds !== ca) {
    warn(`warning: --ca-port ${ca} ignored: xDS and the CA share one port, --xds-port ${xds} (as istiod's 15012)`);
  }
  return xds ?? ca ?? SECURE_XDS_PORT;
}

/** `--insecure-xds-port`, undefined (off) unless given. */
export function insecureXdsPort(args: ParsedArgs): number | undefined {
  const p = numberFlag(args, 'insecure-xds-port');
  return p !== undefined && p >= 0 ? p : undefined;
}
