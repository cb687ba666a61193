/**
 * `weft control`: runs the control plane — config store (a watched directory plus `weft apply`),
 * model snapshots, translation, the HTTP API on 15014 and, on one gRPC-over-TLS port (15012, as
 * istiod), the mesh CA (certificate signing; self-signed root in the state directory or a plug-in CA)
 * and authenticated ADS (workload certificates, xds-flags.ts); plaintext ADS only with
 * `--insecure-xds-port` — until SIGINT or SIGTERM.
 */
import { secureStateDir, STATE_ENTRIES } from '../../control/state-dir.js';
import path from 'node:path';
import { boolFlag, numberFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { ControlPlane, type ControlPlaneOptions } from '../../control/control-plane.js';
import { parseDuration } from '../../config/duration.js';
import { MESH_CONFIG_FLAGS, meshConfigFromFlags } from './mesh-config-flags.js';
import { API_TOKEN_FILE, ApiAuthError } from '../../control/api-auth.js';
import { insecureXdsPort, secureXdsPort, XDS_PORT_FLAGS } from './xds-flags.js';
import { setAsideAppliedState } from '../../control/fresh-state.js';
import { SUPPRESS_FLAG, suppressFlag } from './suppress-flag.js';

/** The CA settings from flags (undefined when `--xds-port -1`). */
function caOptions(port: number | undefined, pluginCa: string | undefined, ttl: string | undefined, cwd: string, log: (line: string) => void): ControlPlaneOptions['ca'] {
  if (port !== undefined && port < 0) return undefined;
  const workloadTtlMs = ttl !== undefined ? parseDuration(ttl) : undefined;
  if (ttl !== undefined && (workloadTtlMs === undefined || workloadTtlMs <= 0)) throw usageError(`--workload-cert-ttl: not a duration: ${ttl}`);
  return { port, pluginCaDir: pluginCa ? path.resolve(cwd, pluginCa) : undefined, workloadTtlMs, log };
}

/** The `control` command. */
export const controlCommand: Command = {
  name: 'control',
  summary: 'Run the control plane (xDS over ADS, config API)',
  usage: 'weft control [--config DIR] [--state DIR] [--xds-port 15012] [--insecure-xds-port 15010] [--http-port 15014] [--api-tls] [--plugin-ca DIR] [--host 127.0.0.1] [--mesh-config FILE] [--access-log-file PATH] [--access-log-encoding TEXT|JSON] [--suppress CODE=RESOURCE]',
  flags: [
    { name: 'config', type: 'string', valueName: 'DIR', description: 'directory of Istio/Kubernetes YAML to watch' },
    { name: 'state', type: 'string', valueName: 'DIR', description: 'where applied resources are kept', default: '.weft/state' },
    { name: 'fresh', type: 'boolean', description: 'start without the applied config: STATE/config is moved aside to config.set-aside-<time>' },
    { name: 'host', type: 'string', description: 'address to bind (off loopback the config API is HTTPS only)', default: '127.0.0.1' },
    ...XDS_PORT_FLAGS,
    { name: 'http-port', type: 'number', description: 'HTTP config API and debug endpoints (bearer token in STATE/api-token)', default: 15014 },
    { name: 'api-tls', type: 'boolean', description: 'serve the config API over HTTPS (mesh CA certificate) on loopback too; always on for a non-loopback --host' },
    { name: 'debounce', type: 'number', valueName: 'MS', description: 'quiet period before a change is pushed', default: 100 },
    { name: 'plugin-ca', type: 'string', valueName: 'DIR', description: 'plug-in CA: directory with ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem (Istio cacerts)' },
    { name: 'workload-cert-ttl', type: 'string', valueName: 'DURATION', description: 'default workload certificate lifetime', default: '24h' },
    ...MESH_CONFIG_FLAGS,
    SUPPRESS_FLAG,
  ],
  async run(args, io) {
    const config = stringFlag(args, 'config');
    const stateDir = path.resolve(io.cwd, stringFlag(args, 'state') ?? '.weft/state');
    // The state holds applied Secrets and the CA and token keys: private (src/control/state-dir.ts).
    const tightened = await secureStateDir(stateDir, STATE_ENTRIES);
    if (tightened.length > 0) io.stderr.write(`weft control: tightened the modes of ${tightened.length} path(s) in the state directory (dirs 0700, files 0600)\n`);
    // The API's bearer token, new at every start (api-auth.ts); the CLI finds it there.
    const tokenFile = path.join(stateDir, API_TOKEN_FILE);
    if (boolFlag(args, 'fresh')) {
      const aside = await setAsideAppliedState(stateDir);
      io.stderr.write(aside ? `weft control: --fresh: applied state (${aside.entries.join(', ')}) set aside in ${aside.dir} (not loaded; move it back to ${stateDir} to restore it)\n` : 'weft control: --fresh: no applied state to set aside\n');
    }
    const cp = new ControlPlane({
      store: {
        watchDir: config ? path.resolve(io.cwd, config) : undefined,
        stateDir,
        debounceMs: numberFlag(args, 'debounce'),
        // Bad files (file:line), duplicates, applied overrides, restored state: once per change (store-notices.ts).
        report: (line) => io.stderr.write(`weft control: ${line}\n`),
        suppress: suppressFlag(args),
      },
      host: stringFlag(args, 'host'),
      meshConfig: meshConfigFromFlags(args, io.cwd, (l) => io.stderr.write(`weft control: ${l}\n`)),
      insecureXdsPort: insecureXdsPort(args),
      httpPort: numberFlag(args, 'http-port'),
      api: { tokenFile, tls: boolFlag(args, 'api-tls') },
      ca: caOptions(secureXdsPort(args, (l) => io.stderr.write(`weft control: ${l}\n`)), stringFlag(args, 'plugin-ca'), stringFlag(args, 'workload-cert-ttl'), io.cwd, (line) => io.stderr.write(`${line}\n`)),
      log: (line) => io.stderr.write(`weft control: ${line}\n`),
    });
    let ports;
    try {
      ports = await cp.start();
    } catch (err) {
      await cp.stop().catch(() => undefined);
      throw new CliError(err instanceof ApiAuthError ? err.code : 'START_FAILED', `control plane failed to start: ${(err as Error).message}`, { cause: err });
    }
    for (const w of cp.store.stateWarnings()) io.stderr.write(`weft control: WARNING: ${w}\n`);
    const host = stringFlag(args, 'host');
    const xds = ports.xdsPort !== undefined ? `${host}:${ports.xdsPort}` : 'off (no CA)';
    io.stdout.write(`weft control: xDS on ${xds}, API on ${cp.apiScheme}://${host}:${ports.httpPort} (token in ${tokenFile})\n`);
    if (cp.ca) io.stdout.write(`weft control: CA on ${host}:${cp.ca.port} (${cp.ca.source}); root certificate in ${cp.ca.rootCertFile ?? '(memory)'}\n`);
    if (ports.insecureXdsPort !== undefined) io.stdout.write(`weft control: insecure xDS on ${host}:${ports.insecureXdsPort} (plaintext, unauthenticated, no secrets: debugging only)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await cp.stop();
    return 0;
  },
};
