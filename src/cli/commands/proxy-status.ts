/**
 * `weft proxy-status`: one row per connected proxy with its CDS/LDS/EDS/RDS sync state, as
 * `istioctl proxy-status` prints it.
 */
import { stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { apiTarget, callApi, API_FLAGS } from '../control-client.js';
import type { ProxySyncStatus } from '../../xds/sync-status.js';
import { formatTable } from './get.js';

/** The `proxy-status` command. */
export const proxyStatusCommand: Command = {
  name: 'proxy-status',
  summary: 'Show the xDS sync state of every proxy',
  usage: 'weft proxy-status [-o json] [--server URL] [--state DIR | --token-file FILE]',
  flags: [{ name: 'output', aliases: ['o'], type: 'string', description: 'table or json', default: 'table' }, ...API_FLAGS],
  async run(args, io) {
    const { body } = await callApi<{ version: string; proxies: ProxySyncStatus[] }>(apiTarget(args, io.env, io.cwd), '/debug/syncz');
    if (stringFlag(args, 'output') === 'json') {
      io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      return 0;
    }
    const state = (p: ProxySyncStatus, t: 'CDS' | 'LDS' | 'EDS' | 'RDS') => {
      const s = p.types[t];
      return s.nackMessage && s.state !== 'SYNCED' ? `STALE (NACK: ${s.nackMessage.slice(0, 40)})` : s.state;
    };
    const rows = [['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'CONTROL PLANE', 'VERSION']];
    for (const p of [...body.proxies].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const name = proxyDisplayName(p.id);
      rows.push([name, p.cluster || 'Kubernetes', state(p, 'CDS'), state(p, 'LDS'), state(p, 'EDS'), state(p, 'RDS'), 'weft', p.types.CDS.ackedVersion ?? '']);
    }
    io.stdout.write(formatTable(rows));
    return 0;
  },
};

/** `sidecar~ip~reviews-v1-0.default~…` → `reviews-v1-0.default`, as istioctl shows proxies. */
export function proxyDisplayName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 ? parts[2]! : id;
}
