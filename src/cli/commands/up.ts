/**
 * `weft up [DIR]`: the embedded mesh on one machine — control plane, ingress gateway, and every
 * Deployment in DIR as local processes behind their own sidecars — with a live status, until
 * Ctrl-C or SIGTERM, which drain and stop everything.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { boolFlag, numberFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { Mesh } from '../../up/mesh.js';
import { showStatus } from '../../up/status-view.js';
import { ACCESS_LOG_FLAG, MESH_CONFIG_FLAGS, meshConfigFromFlags } from './mesh-config-flags.js';
import { resolveAppUser } from '../../up/app-user.js';
import { insecureXdsPort, secureXdsPort, XDS_PORT_FLAGS } from './xds-flags.js';
import { setAsideAppliedState } from '../../control/fresh-state.js';
import { SUPPRESS_FLAG, suppressFlag } from './suppress-flag.js';

/** The `up` command. */
export const upCommand: Command = {
  name: 'up',
  summary: 'Run a whole mesh on this machine from a directory of Istio + Kubernetes YAML',
  usage: 'weft up [DIR] [--http-port 8080] [--https-port 8443] [--state DIR] [--fresh] [--app-user USER] [--logs] [--access-log] [--mesh-config FILE] [--suppress CODE=RESOURCE]',
  description: `Starts the control plane (xDS and CA over TLS on 15012, API on 15014 with its bearer token in
STATE/api-token, which weft apply/get/... run from the same directory find), an ingress gateway (Gateway port 80 →
--http-port, 443 → --https-port), and for every Deployment replica a loopback pod IP, a sidecar, and the
app (its first container's command + args, started once the sidecar is ready, with HOST, PORT,
HTTP_PROXY, POD_NAME, POD_NAMESPACE, POD_IP, SERVICE_ACCOUNT and its own env; as root, as the
--app-user, default nobody). Edits to DIR and
'weft apply' take effect while it runs; a file that does not load is reported (file:line) and its last good
version stays in effect. Applied resources are restored from STATE at start and win over DIR's files
(both are reported); --fresh sets them aside (STATE/store/applied.set-aside-<time>). The control plane
runs in a child process that weft up restarts (with back-off, on the same ports and state) when it dies;
meanwhile the proxies keep serving their last config, and resync when it is back. Ctrl-C drains and
stops everything.`,
  flags: [
    { name: 'http-port', type: 'number', description: 'gateway port for Gateway servers on port 80/8080', default: 8080 },
    { name: 'https-port', type: 'number', description: 'gateway port for Gateway servers on port 443/8443', default: 8443 },
    { name: 'state', type: 'string', valueName: 'DIR', description: 'state directory (applied config, logs)', default: '.weft' },
    { name: 'fresh', type: 'boolean', description: 'start without the applied config: STATE/store/applied.journal is moved aside to applied.set-aside-<time>' },
    ...XDS_PORT_FLAGS,
    { name: 'api-port', type: 'number', description: 'control plane HTTP API port', default: 15014 },
    { name: 'pod-net', type: 'number', valueName: 'N', description: 'pods get 127.N.x.y, apps 127.N+1.x.y', default: 10 },
    { name: 'logs', type: 'boolean', description: 'print app and proxy output (always kept in STATE/logs)' },
    { name: 'app-user', type: 'string', valueName: 'USER', description: 'user the apps run as (needs root to differ from yours; default nobody when root, else you)' },
    ACCESS_LOG_FLAG,
    ...MESH_CONFIG_FLAGS,
    SUPPRESS_FLAG,
    { name: 'in-process-control-plane', type: 'boolean', description: 'run the control plane inside weft up (a crash of it stops the mesh) instead of a restarted child process' },
  ],
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0] ?? '.');
    if (!existsSync(dir)) throw new CliError('NOT_FOUND', `no such directory: ${dir}`);
    const stateDir = path.resolve(io.cwd, stringFlag(args, 'state') ?? '.weft');
    const showLogs = boolFlag(args, 'logs');
    const appUser = resolveAppUser(stringFlag(args, 'app-user'));
    if (!appUser.switched && process.getuid?.() === 0) io.stderr.write(`weft up: WARNING: apps run as root (--app-user ${appUser.name}): they can read the CA key, the token key and every applied Secret\n`);
    const xdsPort = secureXdsPort(args, (l) => io.stderr.write(`weft up: ${l}\n`));
    if (xdsPort < 0) throw usageError('--xds-port: weft up needs the CA and authenticated xDS (its proxies have workload identities); give a port, 0 for any');
    if (boolFlag(args, 'fresh')) {
      const aside = await setAsideAppliedState(path.join(stateDir, 'store'));
      io.stderr.write(aside ? `weft up: --fresh: applied state (${aside.entries.join(', ')}) set aside in ${aside.dir} (not loaded; move it back to ${path.join(stateDir, 'store')} to restore it)\n` : 'weft up: --fresh: no applied state to set aside\n');
    }
    // Config notices go to stderr once each; on a terminal the last few also stay in the live status.
    const notices: string[] = [];
    const configReport = (line: string) => {
      io.stderr.write(`weft up: ${line}\n`);
      notices.push(line);
      if (notices.length > 8) notices.shift();
    };
    const mesh = new Mesh({
      configReport,
      suppress: suppressFlag(args),
      dir,
      stateDir,
      httpPort: numberFlag(args, 'http-port') ?? 8080,
      httpsPort: numberFlag(args, 'https-port') ?? 8443,
      xdsPort,
      insecureXdsPort: insecureXdsPort(args),
      apiPort: numberFlag(args, 'api-port') ?? 15014,
      podNet: numberFlag(args, 'pod-net'),
      meshConfig: meshConfigFromFlags(args, io.cwd, (l) => io.stderr.write(`weft up: ${l}\n`)),
      appUser,
      inProcessControlPlane: boolFlag(args, 'in-process-control-plane'),
      warn: (line) => io.stderr.write(`${line}\n`),
      onLine: showLogs ? (pod, source, line) => io.stdout.write(`${pod}${source === 'app' ? '' : `/${source}`} | ${line}\n`) : undefined,
    });
    const started = Date.now();
    let stopStatus = () => undefined as void;
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    mesh.once('ready', () => {
      const https = mesh.gatewayHttpsUrl;
      io.stdout.write(`✔ mesh ready in ${((Date.now() - started) / 1000).toFixed(1)} s: gateway ${mesh.gatewayUrl}${https ? ` and ${https}` : ''}\n`);
    });
    watchControlPlane(mesh, (l) => io.stderr.write(`${l}\n`));
    await mesh.start();
    for (const w of mesh.controlPlane.stateWarnings()) io.stderr.write(`weft up: WARNING: ${w}\n`);
    const bad = new Set(mesh.controlPlane.diagnostics().filter((d) => d.level === 'Error').map((d) => d.source?.file));
    if (bad.size > 0) io.stderr.write(`weft up: started with ${bad.size} file(s) that do not load (reported above); fix them and they take effect\n`);
    io.stdout.write(`weft up: ${path.relative(io.cwd, dir) || '.'} — gateway ${mesh.gatewayUrl}, control plane API http://127.0.0.1:${numberFlag(args, 'api-port') ?? 15014} (token in ${path.join(stateDir, 'api-token')}), logs in ${path.join(stateDir, 'logs')}, apps run as ${appUser.name}\n`);
    io.stdout.write(`weft up: control plane running (pid ${mesh.controlPlane.pid})\n`);
    if (!showLogs) {
      stopStatus = showStatus(mesh, io.stdout, () =>
        `Gateway: ${mesh.gatewayUrl}   Control plane: ${mesh.controlPlane.running ? 'running' : 'DOWN (restarting)'}   (Ctrl-C stops the mesh)${notices.length > 0 ? `\n\nRecent config notices:\n${notices.map((n) => `  ${n}`).join('\n')}` : ''}`);
    }
    await stop;
    stopStatus();
    io.stdout.write('\nweft up: draining and stopping…\n');
    await mesh.stop();
    io.stdout.write('weft up: stopped\n');
    return 0;
  },
};

/** Prints when the control plane dies (exit code or signal) and when it is back. */
function watchControlPlane(mesh: Mesh, print: (line: string) => void): void {
  const at = () => new Date().toISOString().slice(11, 19);
  mesh.controlPlane.on('down', (code, signal, restartInMs) => {
    print(`weft up: ${at()} control plane died (${signal ? `signal ${signal}` : `exit code ${code}`}); proxies keep serving their last config; restarting in ${restartInMs} ms`);
  });
  mesh.controlPlane.on('up', (downMs, pid) => {
    print(`weft up: ${at()} control plane is back (pid ${pid}) after ${(downMs / 1000).toFixed(1)} s down; proxies reconnect and resync`);
  });
}
