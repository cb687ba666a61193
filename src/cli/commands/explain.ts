/**
 * `weft explain --from WORKLOAD [-n NS] [-X METHOD] [-H 'K: V']... [-f PATH]... [-o text|json] URL`:
 * what the mesh does with one hypothetical request, and why (design.md §7). The config is the
 * running mesh's (from the control plane's `/debug/configz` and `/debug/registryz`), or files given
 * with `-f` (no mesh needed; pods get placeholder addresses). The engine is `src/explain/`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  analysisOf,
  configFromFiles,
  configFromMesh,
  explain,
  formatExplanation,
  parseHeaderFlags,
  type ConfigzBody,
  type ExplainConfig,
  type RegistryzBody,
} from '../../explain/index.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { listFlag, stringFlag } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { meshConfigFileFlag } from './mesh-config-flags.js';
import { apiTarget, callApi, API_FLAGS, type ApiTarget } from '../control-client.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { readAll } from './shared.js';

/** One line for `weft --help`. */
export const EXPLAIN_SUMMARY = 'Explain what the mesh does with one request: route, rule, destination, endpoints, policies, TLS, authorization';

/** The `explain` command. */
export const explainCommand: Command = {
  name: 'explain',
  summary: EXPLAIN_SUMMARY,
  usage: "weft explain --from WORKLOAD [-n NS] [-X METHOD] [-H 'K: V']... [-f PATH]... [-o text|json] URL",
  description: [
    'Replays one hypothetical request through the config the proxies get, and prints the outbound',
    'listener, route configuration, virtual host, the VirtualService rule that matched (and why',
    'earlier rules did not), the destinations with their weights, endpoints, load balancing, TLS,',
    'timeout, retries, fault and mirror; then the destination sidecar: its inbound filter chain,',
    'PeerAuthentication mode and the authorization decision with the policy that made it. Config',
    'that is ignored or flagged by analysis on that path is listed at the end.',
    '',
    'WORKLOAD is a pod or Deployment name (first replica) in -n NS, or "ingress" for the ingress',
    'gateway, in which case URL is what a client sends to the gateway (http://host:8080/path).',
    '',
    'Examples:',
    "  weft explain --from productpage-v1 -H 'end-user: jason' http://reviews:9080/reviews/0",
    '  weft explain -f samples/bookinfo --from ingress http://localhost:8080/productpage',
    '  weft explain -f samples/bookinfo -f extra.yaml --from productpage-v1 -o json http://details:9080/details/0',
  ].join('\n'),
  flags: [
    { name: 'from', type: 'string', valueName: 'WORKLOAD', description: 'the pod or Deployment sending the request, or "ingress"' },
    { name: 'namespace', aliases: ['n'], type: 'string', valueName: 'NS', description: 'namespace of WORKLOAD', default: 'default' },
    { name: 'request', aliases: ['X'], type: 'string', valueName: 'METHOD', description: 'HTTP method', default: 'GET' },
    { name: 'header', aliases: ['H'], type: 'string', multiple: true, valueName: "'K: V'", description: 'request header; repeatable' },
    { name: 'filename', aliases: ['f'], type: 'string', multiple: true, valueName: 'PATH', description: 'explain against these files or directories instead of the running mesh ("-" = stdin); repeatable' },
    { name: 'output', aliases: ['o'], type: 'string', valueName: 'FORMAT', description: 'text or json', default: 'text' },
    { name: 'meshConfigFile', type: 'string', valueName: 'FILE', description: 'mesh config YAML (outboundTrafficPolicy, rootNamespace, ...); default: Istio\'s defaults' },
    ...API_FLAGS,
  ],
  async run(args, io) {
    const from = stringFlag(args, 'from');
    if (!from) throw usageError('explain needs --from WORKLOAD (a pod or Deployment name, or "ingress")');
    if (args.positionals.length !== 1) throw usageError(args.positionals.length === 0 ? 'explain needs a URL' : `explain takes one URL, got ${args.positionals.length}`);
    const output = (stringFlag(args, 'output') ?? 'text').toLowerCase();
    if (output !== 'text' && output !== 'json') throw usageError(`unknown output format "${output}": use text or json`);
    const headers = parseHeaderFlags(listFlag(args, 'header'));
    const meshConfig = meshConfigFileFlag(stringFlag(args, 'meshConfigFile'), io.cwd, (l) => io.stderr.write(`weft explain: ${l}\n`));
    const files = listFlag(args, 'filename');
    const config = files.length > 0 ? await fromFiles(files, meshConfig, io) : await fromMesh(apiTarget(args, io.env, io.cwd), meshConfig);
    const rejected = config.loadDiagnostics.filter((d) => d.level === 'Error').length;
    if (rejected > 0) io.stderr.write(`Warning: ${rejected} configuration problem(s) found while loading; rejected resources are not part of this explanation (run 'weft analyze').\n`);
    const explanation = explain(
      config.snapshot,
      { from, namespace: stringFlag(args, 'namespace') ?? 'default', method: stringFlag(args, 'request') ?? 'GET', url: args.positionals[0]!, headers },
      { analysis: analysisOf(config) },
    );
    if (output === 'json') io.stdout.write(`${JSON.stringify({ config: config.origin, ...explanation }, null, 2)}\n`);
    else io.stdout.write(`${formatExplanation(explanation)}\nConfig source: ${config.origin}\n`);
    return ExitCode.Ok;
  },
};

async function fromFiles(files: readonly string[], meshConfig: MeshConfig | undefined, io: CliIO): Promise<ExplainConfig> {
  const resolved = files.map((f) => (f === '-' ? f : path.resolve(io.cwd, f)));
  for (let i = 0; i < files.length; i++) {
    if (resolved[i] === '-') continue;
    try {
      await stat(resolved[i]!);
    } catch (err) {
      throw new CliError('LOAD_FAILED', `cannot read ${files[i]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const config = await configFromFiles(resolved, meshConfig, () => readAll(io.stdin));
  return { ...config, origin: `files: ${files.join(', ')} (placeholder pod addresses)` };
}

async function fromMesh(target: ApiTarget, meshConfig: MeshConfig | undefined): Promise<ExplainConfig> {
  const server = target.server;
  const configz = await callApi<ConfigzBody>(target, '/debug/configz');
  const registryz = await callApi<RegistryzBody>(target, '/debug/registryz');
  if (configz.status !== 200 || !Array.isArray(configz.body.items) || registryz.status !== 200 || !Array.isArray(registryz.body.workloads)) {
    throw new CliError('BAD_RESPONSE', `unexpected answer from ${server} (HTTP ${configz.status}/${registryz.status})`);
  }
  return configFromMesh(configz.body, registryz.body, meshConfig, server);
}


