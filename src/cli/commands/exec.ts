/**
 * `weft exec POD|DEPLOYMENT -- COMMAND [ARGS…]`: runs a command as if inside a pod of the running
 * mesh — with the pod's environment (`HTTP_PROXY` pointing at its sidecar, `POD_NAME`, …) — so
 * `weft exec sleep -- curl -sS http://httpbin:8000/headers` sends a request from inside the mesh,
 * as `kubectl exec` does in a cluster. The pod's outbound listener takes requests only with the
 * pod's credential (src/proxy/listener/outbound-auth.ts), which exec reads from the pod's sidecar
 * (src/up/sidecar-credential.ts): only the user running `weft up` (or root) can.
 */
import { spawn } from 'node:child_process';
import { stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, callApi, API_FLAGS } from '../control-client.js';
import { withoutApiCredentials } from '../../control/api-auth.js';
import { outboundProxyUrl } from '../../proxy/listener/outbound-auth.js';
import { sidecarCredential } from '../../up/sidecar-credential.js';

interface WorkloadRow {
  name: string;
  namespace: string;
  address?: string;
  serviceAccount: string;
  origin: { kind: string; name: string; replica?: number };
}

/** The `exec` command. */
export const execCommand: Command = {
  name: 'exec',
  summary: "Run a command with a pod's environment, so its requests go through the pod's sidecar",
  usage: 'weft exec [-n NAMESPACE] POD|DEPLOYMENT -- COMMAND [ARGS...]',
  description: 'Example: weft exec sleep -- curl -sS http://httpbin:8000/headers',
  flags: [{ name: 'namespace', aliases: ['n'], type: 'string', description: 'namespace', default: 'default' }, ...API_FLAGS],
  async run(args, io) {
    const target = args.positionals[0];
    if (!target || args.rest.length === 0) throw usageError('exec needs a POD or DEPLOYMENT and a command after --');
    const ns = stringFlag(args, 'namespace') ?? 'default';
    const { body } = await callApi<{ workloads: WorkloadRow[] }>(apiTarget(args, io.env, io.cwd), '/debug/registryz');
    const inNs = body.workloads.filter((w) => w.namespace === ns && w.address);
    const pod =
      inNs.find((w) => w.name === target) ??
      inNs.filter((w) => w.origin.kind === 'Deployment' && w.origin.name === target).sort((a, b) => (a.origin.replica ?? 0) - (b.origin.replica ?? 0))[0] ??
      undefined;
    if (!pod) throw new CliError('POD_NOT_FOUND', `no running pod or Deployment "${target}" in namespace ${ns}`);
    const lookup = sidecarCredential(pod.address!);
    if (lookup.credential === undefined && lookup.open !== true) io.stderr.write(`weft exec: ${lookup.reason}; requests through ${pod.name}'s sidecar may be refused (407)\n`);
    const proxy = lookup.credential !== undefined ? outboundProxyUrl(pod.address!, 15001, lookup.credential) : `http://${pod.address}:15001`;
    const env: NodeJS.ProcessEnv = {
      // The app acts as the pod, not as the operator: no API credential (see api-auth.ts).
      ...withoutApiCredentials(io.env),
      HTTP_PROXY: proxy,
      http_proxy: proxy,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      no_proxy: 'localhost,127.0.0.1,::1',
      POD_NAME: pod.name,
      POD_NAMESPACE: pod.namespace,
      POD_IP: pod.address,
      SERVICE_ACCOUNT: pod.serviceAccount,
    };
    const [cmd, ...cmdArgs] = args.rest;
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(cmd!, cmdArgs, { env, stdio: 'inherit', cwd: io.cwd });
      child.on('error', (err) => reject(new CliError('EXEC_FAILED', `cannot run ${cmd}: ${err.message}`, { cause: err })));
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  },
};
