/**
 * `weft proxy-status`: one row per connected proxy with its CDS/LDS/EDS/RDS sync state, as
 * `istioctl proxy-status` prints it, then one row per proxy the control plane had and lost
 * (DISCONNECTED: it serves its last config, VERSION is the one it last ACKed; a restarted
 * control plane knows only the proxies that reconnected to it, see control/proxy-presence.ts).
 */
import { stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { apiTarget, callApi, API_FLAGS } from '../control-client.js';
import type { ProxySyncStatus } from '../../xds/sync-status.js';
import type { DisconnectedProxy } from '../../control/proxy-presence.js';
import { formatTable } from '../../util/text-table.js';

/** The `proxy-status` command. */
export const proxyStatusCommand: Command = {
  name: 'proxy-status',
  summary: 'Show the xDS sync state of every proxy',
  usage: 'weft proxy-status [-o json] [--server URL] [--state DIR | --token-file FILE]',
  flags: [{ name: 'output', aliases: ['o'], type: 'string', description: 'table or json', default: 'table' }, ...API_FLAGS],
  async run(args, io) {
    const { body } = await callApi<{ version: string; proxies: ProxySyncStatus[]; disconnected?: DisconnectedProxy[] }>(apiTarget(args, io.env, io.cwd), '/debug/syncz');
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
    const lost = [...(body.disconnected ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const p of lost) rows.push([proxyDisplayName(p.id), p.cluster || 'Kubernetes', 'DISCONNECTED', 'DISCONNECTED', 'DISCONNECTED', 'DISCONNECTED', 'weft', p.ackedVersion ?? '']);
    io.stdout.write(formatTable(rows));
    if (lost.length > 0) io.stdout.write(`${lost.length} proxy(ies) disconnected from the control plane (serving their last config; since ${lost.map((p) => p.disconnectedAt).sort()[0]})\n`);
    return 0;
  },
};

/** `sidecar~ip~reviews-v1-0.default~…` → `reviews-v1-0.default`, as istioctl shows proxies. */
export function proxyDisplayName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 ? parts[2]! : id;
}
