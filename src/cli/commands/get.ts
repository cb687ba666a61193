/**
 * `weft get KIND [NAME] [-n NS | -A] [-o yaml|json]`: lists resources in the running mesh's store, as kubectl.
 */
import path from 'node:path';
import { stringify } from 'yaml';
import { boolFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, callApi, API_FLAGS } from '../control-client.js';
import { kindByName } from '../../config/kinds.js';
import { secretKeys } from '../../control/secret-redaction.js';
import { CONFIG_SOURCE_ANNOTATION } from '../../control/config-source.js';
import { formatTable } from '../../util/text-table.js';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  spec?: { hosts?: string[]; gateways?: string[]; host?: string };
  /** Secret `type` and `data` (values withheld by the API: secret-redaction.ts). */
  type?: string;
  data?: Record<string, string>;
}

/** The `get` command. */
export const getCommand: Command = {
  name: 'get',
  summary: 'List resources in the running mesh',
  usage: 'weft get KIND [NAME] [-n NAMESPACE | -A] [-o yaml|json] [--server URL] [--state DIR | --token-file FILE]',
  description: [
    'KIND takes kubectl and istioctl names: virtualservice, vs, destinationrules, dr, gateway, gw, svc, deploy, ...',
    'Secrets show their type and data keys; with -o yaml|json every value is empty and the annotation',
    'weft.io/redacted lists each key\'s size: the API never returns Secret values.',
    'SOURCE is where each resource comes from: the watched directory\'s file, or "applied" (weft apply; applied',
    'resources win over files); with -o yaml|json it is the annotation weft.io/config-source (output only: it is',
    'ignored when the output is applied back).',
  ].join('\n'),
  flags: [
    { name: 'namespace', aliases: ['n'], type: 'string', description: 'namespace', default: 'default' },
    { name: 'all-namespaces', aliases: ['A'], type: 'boolean', description: 'every namespace' },
    { name: 'output', aliases: ['o'], type: 'string', description: 'table, yaml or json', default: 'table' },
    ...API_FLAGS,
  ],
  async run(args, io) {
    const [kindArg, name] = args.positionals;
    if (!kindArg) throw usageError('get needs a KIND');
    const info = kindByName(kindArg);
    if (!info) throw usageError(`unknown kind "${kindArg}"`);
    const all = boolFlag(args, 'all-namespaces') || !info.namespaced;
    const q = new URLSearchParams({ kind: info.kind });
    if (!all) q.set('namespace', stringFlag(args, 'namespace') ?? 'default');
    if (name) q.set('name', name);
    const { body } = await callApi<{ items: Manifest[] }>(apiTarget(args, io.env, io.cwd), `/api/v1/resources?${q}`);
    const items = body.items;
    if (name && items.length === 0) throw new CliError('NOT_FOUND', `${info.plural}.${info.group || 'core'} "${name}" not found`);
    const output = stringFlag(args, 'output');
    if (output === 'json') io.stdout.write(`${JSON.stringify(name ? items[0] : { apiVersion: 'v1', kind: 'List', items }, null, 2)}\n`);
    else if (output === 'yaml') io.stdout.write(stringify(name ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
    else if (output === 'table') {
      if (items.length === 0) {
        io.stderr.write(`No resources found${all ? '' : ` in ${q.get('namespace')} namespace`}.\n`);
        return 0;
      }
      const rows = items.map((m) => [
        ...(all && info.namespaced ? [m.metadata.namespace ?? ''] : []),
        m.metadata.name,
        ...(info.kind === 'VirtualService' ? [JSON.stringify(m.spec?.gateways ?? []), JSON.stringify(m.spec?.hosts ?? [])] : []),
        ...(info.kind === 'DestinationRule' ? [m.spec?.host ?? ''] : []),
        // As `kubectl get secret` (NAME TYPE DATA), plus the keys: never the values.
        ...(info.kind === 'Secret' ? [m.type ?? 'Opaque', String(secretKeys(m).length), secretKeys(m).join(',')] : []),
        displaySource(m.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION], io.cwd),
      ]);
      const header = [...(all && info.namespaced ? ['NAMESPACE'] : []), 'NAME', ...(info.kind === 'VirtualService' ? ['GATEWAYS', 'HOSTS'] : []), ...(info.kind === 'DestinationRule' ? ['HOST'] : []), ...(info.kind === 'Secret' ? ['TYPE', 'DATA', 'KEYS'] : []), 'SOURCE'];
      io.stdout.write(formatTable([header, ...rows]));
    } else throw usageError(`unknown output format "${output}"`);
    return 0;
  },
};

/** A source for the table: `applied`, or the file relative to the current directory when below it. */
function displaySource(source: string | undefined, cwd: string): string {
  if (source === undefined) return '-';
  if (source === 'applied' || !path.isAbsolute(source)) return source;
  const rel = path.relative(cwd, source);
  return rel.startsWith('..') ? source : rel;
}
