/**
 * `weft control`: runs the control plane — config store (a watched directory plus `weft apply`),
 * model snapshots, translation, ADS on 15010 and the HTTP API on 15014 — until SIGINT or SIGTERM.
 */
import path from 'node:path';
import { numberFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { ControlPlane } from '../../control/control-plane.js';

/** The `control` command. */
export const controlCommand: Command = {
  name: 'control',
  summary: 'Run the control plane (xDS over ADS, config API)',
  usage: 'weft control [--config DIR] [--state DIR] [--xds-port 15010] [--http-port 15014] [--host 127.0.0.1]',
  flags: [
    { name: 'config', type: 'string', valueName: 'DIR', description: 'directory of Istio/Kubernetes YAML to watch' },
    { name: 'state', type: 'string', valueName: 'DIR', description: 'where applied resources are kept', default: '.weft/state' },
    { name: 'host', type: 'string', description: 'address to bind', default: '127.0.0.1' },
    { name: 'xds-port', type: 'number', description: 'ADS (gRPC, plaintext)', default: 15010 },
    { name: 'http-port', type: 'number', description: 'HTTP config API and debug endpoints', default: 15014 },
    { name: 'debounce', type: 'number', valueName: 'MS', description: 'quiet period before a change is pushed', default: 100 },
  ],
  async run(args, io) {
    const config = stringFlag(args, 'config');
    const cp = new ControlPlane({
      store: {
        watchDir: config ? path.resolve(io.cwd, config) : undefined,
        stateDir: path.resolve(io.cwd, stringFlag(args, 'state') ?? '.weft/state'),
        debounceMs: numberFlag(args, 'debounce'),
      },
      host: stringFlag(args, 'host'),
      xdsPort: numberFlag(args, 'xds-port'),
      httpPort: numberFlag(args, 'http-port'),
    });
    let ports;
    try {
      ports = await cp.start();
    } catch (err) {
      await cp.stop().catch(() => undefined);
      throw new CliError('START_FAILED', `control plane failed to start: ${(err as Error).message}`, { cause: err });
    }
    for (const d of cp.store.diagnostics()) io.stderr.write(`${d.source ? `${d.source.file}:${d.source.line}: ` : ''}${d.level} [${d.code}] ${d.message}\n`);
    io.stdout.write(`weft control: xDS on ${stringFlag(args, 'host')}:${ports.xdsPort}, API on http://${stringFlag(args, 'host')}:${ports.httpPort}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await cp.stop();
    return 0;
  },
};
