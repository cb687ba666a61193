/**
 * `weft proxy`: runs Weft's data-plane proxy (sidecar or gateway) against a control plane until
 * SIGINT/SIGTERM, then drains (stop accepting, finish in-flight requests, close). `weft up` starts
 * it with the node flags of src/proxy/node-flags.ts (a smaller young generation: about 30 MB less
 * RSS for an idle sidecar of a large mesh); by hand: `NODE_OPTIONS=--max-semi-space-size=4 weft proxy …`.
 */
import { numberFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { startProxy } from '../../proxy/proxy.js';
import { identityFromFlags } from '../../proxy/listener/identity-config.js';
import { OUTBOUND_CREDENTIAL_ENV } from '../../proxy/listener/outbound-auth.js';
import { readFileSync } from 'node:fs';

function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw usageError(`--labels: expected key=value, got "${part}"`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The `proxy` command. */
export const proxyCommand: Command = {
  name: 'proxy',
  summary: 'Run the data-plane proxy (sidecar or gateway)',
  usage: 'weft proxy --role sidecar|gateway --ip POD_IP [--id ID] [--xds HOST:PORT] [--ca HOST:PORT --ca-root FILE] [--namespace NS] [--labels k=v,…] [flags]',
  flags: [
    { name: 'role', type: 'string', description: 'sidecar or gateway', default: 'sidecar' },
    { name: 'id', type: 'string', description: 'node id (default Istio form: sidecar~IP~POD.NS~NS.svc.cluster.local)' },
    { name: 'xds', type: 'string', valueName: 'HOST:PORT', description: 'control plane xDS address: with an identity (--ca) the authenticated port, dialled over mTLS with the workload certificate (default: the --ca address, 15012, as istiod serves both); without, the plaintext debug port (default 127.0.0.1:15010, see weft control --insecure-xds-port)' },
    { name: 'ip', type: 'string', valueName: 'POD_IP', description: 'the proxy\'s own address (listeners and admin bind here)', default: '127.0.0.1' },
    { name: 'pod', type: 'string', description: 'pod name (default derived from role and ip)' },
    { name: 'namespace', type: 'string', valueName: 'NS', description: 'workload namespace', default: 'default' },
    { name: 'labels', type: 'string', valueName: 'K=V,…', description: 'workload labels' },
    { name: 'service-account', type: 'string', valueName: 'SA', description: 'workload service account', default: 'default' },
    { name: 'app-address', type: 'string', valueName: 'HOST', description: 'where the app listens (inbound clusters)' },
    { name: 'workload', type: 'string', description: 'workload name for metrics (default: pod name)' },
    { name: 'outbound-port', type: 'number', description: 'sidecar outbound (HTTP_PROXY) port', default: 15001 },
    { name: 'admin-port', type: 'number', description: 'admin port', default: 15000 },
    { name: 'ready-port', type: 'number', description: '/healthz/ready port', default: 15021 },
    { name: 'prometheus-port', type: 'number', description: '/stats/prometheus port', default: 15090 },
    { name: 'gateway-host', type: 'string', description: 'address gateway listeners bind (default: --ip)' },
    { name: 'max-connections-per-listener', type: 'number', valueName: 'N', description: 'downstream connections each listener keeps open; more are closed and counted as downstream_cx_overflow (0 = no limit)', default: 10000 },
    { name: 'drain', type: 'number', valueName: 'MS', description: 'drain grace period on shutdown', default: 5000 },
    { name: 'ca', type: 'string', valueName: 'HOST:PORT', description: 'CA (CSR service, control plane port 15012) for the workload certificate; or WEFT_CA_ADDRESS' },
    { name: 'ca-root', type: 'string', valueName: 'FILE', description: 'mesh root certificate (verifies the CA and peers); or WEFT_CA_ROOT' },
    { name: 'token-file', type: 'string', valueName: 'FILE', description: 'single-use bootstrap token for the first certificate; or WEFT_BOOTSTRAP_TOKEN' },
    { name: 'cert-ttl', type: 'string', valueName: 'DURATION', description: 'requested workload certificate lifetime (CA default 24h)' },
    { name: 'trust-domain', type: 'string', description: 'SPIFFE trust domain', default: 'cluster.local' },
    { name: 'outbound-credential-file', type: 'string', valueName: 'FILE', description: `secret the outbound listener requires as Proxy-Authorization (http://weft:SECRET@IP:15001); or ${OUTBOUND_CREDENTIAL_ENV}` },
  ],
  async run(args, io) {
    const role = stringFlag(args, 'role');
    if (role !== 'sidecar' && role !== 'gateway') throw usageError(`--role must be sidecar or gateway, got "${role}"`);
    const ip = stringFlag(args, 'ip') ?? '127.0.0.1';
    let proxy;
    let identity;
    const credentialFile = stringFlag(args, 'outbound-credential-file');
    let outboundCredential = io.env[OUTBOUND_CREDENTIAL_ENV] || undefined;
    try {
      if (credentialFile !== undefined) outboundCredential = readFileSync(credentialFile, 'utf8').trim();
    } catch (err) {
      throw usageError(`--outbound-credential-file: ${(err as Error).message}`);
    }
    if (outboundCredential !== undefined && outboundCredential.length < 16) throw usageError('the outbound credential must be at least 16 characters');
    try {
      identity = identityFromFlags({
        ca: stringFlag(args, 'ca'), caRoot: stringFlag(args, 'ca-root'), tokenFile: stringFlag(args, 'token-file'),
        certTtl: stringFlag(args, 'cert-ttl'), trustDomain: stringFlag(args, 'trust-domain'),
      }, io.env);
    } catch (err) {
      throw usageError((err as Error).message);
    }
    try {
      proxy = await startProxy({
        role, ip, id: stringFlag(args, 'id'), xds: stringFlag(args, 'xds') ?? identity?.caAddress ?? '127.0.0.1:15010', podName: stringFlag(args, 'pod'),
        namespace: stringFlag(args, 'namespace'), labels: parseLabels(stringFlag(args, 'labels')),
        serviceAccount: stringFlag(args, 'service-account'), appAddress: stringFlag(args, 'app-address'),
        workloadName: stringFlag(args, 'workload'), outboundPort: numberFlag(args, 'outbound-port'),
        adminPort: numberFlag(args, 'admin-port'), readyPort: numberFlag(args, 'ready-port'),
        prometheusPort: numberFlag(args, 'prometheus-port'), gatewayHost: stringFlag(args, 'gateway-host'),
        maxConnectionsPerListener: numberFlag(args, 'max-connections-per-listener'),
        log: (line) => io.stderr.write(`${line}\n`), identity, outboundCredential,
      });
    } catch (err) {
      throw new CliError('START_FAILED', `proxy failed to start: ${(err as Error).message}`, { cause: err });
    }
    io.stdout.write(`weft proxy: ${proxy.nodeId} admin on http://${ip}:${proxy.adminPort}\n`);
    void proxy.ready().then(() => io.stdout.write(`weft proxy: ready${role === 'sidecar' ? `, outbound on ${ip}:${proxy.outboundPort()}` : ''}\n`));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await proxy.stop(numberFlag(args, 'drain'));
    return 0;
  },
};
