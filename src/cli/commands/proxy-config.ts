/**
 * `weft proxy-config listeners|routes|clusters|endpoints|secrets|all PROXY [-n NS] [-o json]`: a
 * proxy's running config, read from its admin `/config_dump` (and `/clusters`), in istioctl's tables.
 * istioctl's singular spellings (`cluster`, `listener`, …) are accepted (proxy-config-target.ts).
 * PROXY is `pod.namespace`, or `pod` in `-n NS` (default `default`), as `weft proxy-status` lists it.
 */
import { stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, callApi, API_FLAGS, type ApiTarget } from '../control-client.js';
import { formatTable } from '../../util/text-table.js';
import { clusterRows, endpointRows, listenerRows, parseConfigDump, routeRows } from '../proxy-config-tables.js';
import { PROXY_CONFIG_SECTIONS as SECTIONS, proxyConfigSection, proxyConfigTarget, type ProxyConfigSection as Section } from '../proxy-config-target.js';

/** The `proxy-config` command. */
export const proxyConfigCommand: Command = {
  name: 'proxy-config',
  summary: "Show a proxy's listeners, routes, clusters, endpoints or secrets",
  usage: 'weft proxy-config listener|route|cluster|endpoint|secret|all (or the plurals) POD[.NS] [-n NS] [-o table|json] [--server URL] [--state DIR | --token-file FILE] [--admin HOST:PORT]',
  flags: [
    { name: 'output', aliases: ['o'], type: 'string', description: 'table or json', default: 'table' },
    { name: 'namespace', aliases: ['n'], type: 'string', valueName: 'NS', description: 'namespace of a PROXY given without ".NS" (default "default")' },
    { name: 'admin', type: 'string', valueName: 'HOST:PORT', description: "the proxy's admin address (default: found through the control plane)" },
    ...API_FLAGS,
  ],
  async run(args, io) {
    const [sectionArg, proxy] = args.positionals;
    const section = sectionArg === undefined ? undefined : proxyConfigSection(sectionArg);
    if (!section) throw usageError(`first argument must be one of ${SECTIONS.join(', ')} (or istioctl's singular: cluster, listener, route, endpoint, secret)`);
    let admin = stringFlag(args, 'admin');
    if (!admin) {
      if (!proxy) throw usageError('proxy-config needs a PROXY (as weft proxy-status lists it) or --admin HOST:PORT');
      admin = await findAdmin(proxyConfigTarget(proxy, stringFlag(args, 'namespace')), apiTarget(args, io.env, io.cwd));
    }
    const dump = await fetchAdmin(admin, '/config_dump');
    if (stringFlag(args, 'output') === 'json') {
      io.stdout.write(`${section === 'all' ? dump : JSON.stringify(jsonSection(JSON.parse(dump), section), null, 2)}\n`);
      return 0;
    }
    const parts = parseConfigDump(JSON.parse(dump));
    const tables: string[] = [];
    if (section === 'clusters' || section === 'all') tables.push(formatTable(clusterRows(parts)));
    if (section === 'listeners' || section === 'all') tables.push(formatTable(listenerRows(parts)));
    if (section === 'routes' || section === 'all') tables.push(formatTable(routeRows(parts)));
    if (section === 'endpoints' || section === 'all') tables.push(formatTable(endpointRows(await fetchAdmin(admin, '/clusters'))));
    if (section === 'secrets' || section === 'all') tables.push(formatTable(secretRows(JSON.parse(dump))));
    io.stdout.write(tables.join('\n'));
    return 0;
  },
};

async function findAdmin(proxy: string, server: ApiTarget): Promise<string> {
  const { body } = await callApi<{ proxies: { id: string }[] }>(server, '/debug/syncz');
  const match = body.proxies.find((p) => p.id === proxy || p.id.split('~')[2] === proxy);
  if (!match) throw new CliError('PROXY_NOT_FOUND', `no connected proxy "${proxy}"`, { details: "Run 'weft proxy-status' for the list." });
  return `${match.id.split('~')[1]}:15000`;
}

async function fetchAdmin(admin: string, path: string): Promise<string> {
  try {
    const res = await fetch(`http://${admin}${path}`, { signal: AbortSignal.timeout(10_000) });
    return await res.text();
  } catch (err) {
    throw new CliError('ADMIN_UNREACHABLE', `cannot reach the proxy's admin at ${admin}`, { cause: err });
  }
}

function jsonSection(dump: { configs?: Record<string, unknown>[] }, section: Exclude<Section, 'all'>): unknown {
  const suffix = { listeners: 'ListenersConfigDump', routes: 'RoutesConfigDump', clusters: 'ClustersConfigDump', endpoints: 'EndpointsConfigDump', secrets: 'SecretsConfigDump' }[section];
  return (dump.configs ?? []).find((c) => String(c['@type'] ?? '').endsWith(suffix)) ?? {};
}

/** One entry of the proxy's `SecretsConfigDump` (see src/proxy/admin.ts). */
interface SecretEntry {
  name?: string;
  type?: string;
  source?: string;
  active?: boolean;
  certificates?: { serialNumber?: string; notBefore?: string; notAfter?: string; subjectAltNames?: string[] }[];
}

/** `RESOURCE NAME  TYPE  STATUS  VALID CERT  SERIAL NUMBER  NOT AFTER  NOT BEFORE  SAN`, one row per certificate. */
function secretRows(dump: { configs?: Record<string, unknown>[] }): string[][] {
  const section = (dump.configs ?? []).find((c) => String(c['@type'] ?? '').endsWith('SecretsConfigDump')) as { dynamicActiveSecrets?: SecretEntry[] } | undefined;
  const rows = [['RESOURCE NAME', 'TYPE', 'STATUS', 'VALID CERT', 'SERIAL NUMBER', 'NOT AFTER', 'NOT BEFORE', 'SAN']];
  const now = Date.now();
  for (const s of section?.dynamicActiveSecrets ?? []) {
    for (const c of s.certificates?.length ? s.certificates : [{}]) {
      const valid = c.notBefore !== undefined && c.notAfter !== undefined && Date.parse(c.notBefore) <= now && now < Date.parse(c.notAfter);
      rows.push([
        s.name ?? '', s.type ?? '', s.active === false ? 'WARMING' : 'ACTIVE', String(valid), c.serialNumber ?? '',
        c.notAfter ?? '', c.notBefore ?? '', (c.subjectAltNames ?? []).join(','),
      ]);
    }
  }
  return rows;
}
