/**
 * Istio's validation-webhook rules for VirtualService (istio/istio `pkg/config/validation`:
 * `ValidateVirtualService`, `validateTLSRoute`, `validateTCPRoute`, the unreachable-rule analysis),
 * run on the normalized spec; HTTP routes are checked in `virtual-service-http.ts`.
 */
import type { ObjectMeta } from '../resource.js';
import type { IssueSink } from './common.js';
import { addError, checkHTTPRoute, checkRouteDestinations, isJwtClaimRoute } from './virtual-service-http.js';
import {
  checkExportTo,
  checkGatewayNames,
  checkLabels,
  checkPort,
  hostSubsetOf,
  hostsOverlap,
  ipSubnetError,
  isIPAddress,
  SCHEMA_WARNING,
  wildcardDomainError,
  type Path,
} from './networking-common.js';
import type {
  TLSMatchAttributes,
  VirtualServiceSpec,
} from './virtual-service.js';

/** Analyzer codes istioctl uses for unreachable rules and ineffective matches. */
const UNREACHABLE_RULE = 'IST0130';
const INEFFECTIVE_MATCH = 'IST0131';

/** Runs Istio's VirtualService webhook checks; paths are relative to the spec. */
export function checkVirtualService(spec: VirtualServiceSpec, sink: IssueSink, meta: ObjectMeta): void {
  const hosts = spec.hosts ?? [];
  const isDelegate = hosts.length === 0;
  if (isDelegate) {
    if ((spec.gateways ?? []).length > 0) sink.error(['gateways'], 'delegate virtual service must have no gateways specified');
    if ((spec.tls ?? []).length > 0) sink.error(['tls'], 'delegate virtual service must have no tls route specified');
    if ((spec.tcp ?? []).length > 0) sink.error(['tcp'], 'delegate virtual service must have no tcp route specified');
  }
  const gateways = spec.gateways ?? [];
  checkGatewayNames(sink, ['gateways'], gateways);
  const appliesToGateway = gateways.length > 0 && !gateways.includes('mesh');
  const appliesToMesh = !appliesToGateway;

  if (!appliesToGateway) {
    spec.http?.forEach((route, i) =>
      route.match?.forEach((m, j) => {
        for (const field of ['headers', 'withoutHeaders'] as const) {
          for (const key of Object.keys(m[field] ?? {})) {
            if (isJwtClaimRoute(key)) {
              sink.error(['http', i, 'match', j, field, key], `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`);
            }
          }
        }
      }),
    );
  }

  const sni = (spec.tls ?? []).some((t) => (t.match ?? []).some((m) => (m.sniHosts ?? []).length > 0));
  let allHostsValid = true;
  hosts.forEach((h, i) => {
    const err = appliesToGateway ? gatewayBoundHostError(sni, h) : wildcardDomainError(h);
    if (err) {
      if (!isIPAddress(h)) {
        sink.error(['hosts', i], err);
        allHostsValid = false;
      }
    } else if (appliesToMesh && h === '*') {
      sink.error(['hosts', i], 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostsOverlap(hosts[i]!, hosts[j]!)) sink.error(['hosts', j], `duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`);
      }
    }
  }

  if ((spec.http ?? []).length === 0 && (spec.tcp ?? []).length === 0 && (spec.tls ?? []).length === 0) {
    sink.error([], 'http, tcp or tls must be provided in virtual service');
  }
  spec.http?.forEach((route, i) => checkHTTPRoute(sink, ['http', i], route, isDelegate));
  spec.tls?.forEach((route, i) => {
    const p = ['tls', i];
    if ((route.match ?? []).length === 0) sink.error([...p, 'match'], 'TLS route must have at least one match condition');
    route.match?.forEach((m, j) => checkTLSMatch(sink, [...p, 'match', j], m, hosts, appliesToGateway));
    if ((route.route ?? []).length === 0) sink.error([...p, 'route'], 'TLS route is required');
    checkRouteDestinations(sink, [...p, 'route'], route.route);
  });
  spec.tcp?.forEach((route, i) => {
    const p = ['tcp', i];
    route.match?.forEach((m, j) => {
      const mp = [...p, 'match', j];
      m.destinationSubnets?.forEach((s, k) => addError(sink, [...mp, 'destinationSubnets', k], ipSubnetError(s)));
      if (m.port) checkPort(sink, [...mp, 'port'], m.port);
      checkLabels(sink, [...mp, 'sourceLabels'], m.sourceLabels);
      checkGatewayNames(sink, [...mp, 'gateways'], m.gateways);
    });
    if ((route.route ?? []).length === 0) sink.error([...p, 'route'], 'TCP route is required');
    checkRouteDestinations(sink, [...p, 'route'], route.route);
  });
  checkExportTo(sink, ['exportTo'], meta.namespace, spec.exportTo);
  analyzeUnreachable(sink, 'http', spec.http ?? [], true);
  analyzeUnreachable(sink, 'tcp', spec.tcp ?? [], false);
  analyzeUnreachable(sink, 'tls', spec.tls ?? [], false);
}

/** Hosts of a gateway-bound VirtualService may also use the auto-generated `outbound_.<port>_._.<host>` SNI form. */
function gatewayBoundHostError(sni: boolean, host: string): string | undefined {
  if (sni && host.startsWith('outbound_')) {
    const parts = host.split('_');
    if (parts.length < 4) return `domain name ${host} invalid, should follow 'outbound_.<PORT>_._.<HOSTNAME>' format`;
    const port = parts[1]!.replace(/^\.+|\.+$/g, '');
    const name = parts[3]!.replace(/^\.+|\.+$/g, '');
    if (!/[0-9]/.test(port) || !/[a-zA-Z]/.test(name)) return `domain name "${host}" invalid. should follow outbound_.<PORT>_._.<HOSTNAME> format`;
    return undefined;
  }
  return wildcardDomainError(host);
}

function checkTLSMatch(sink: IssueSink, p: Path, m: TLSMatchAttributes, hosts: readonly string[], appliesToGateway: boolean): void {
  const sniHosts = m.sniHosts ?? [];
  if (sniHosts.length === 0) sink.error([...p, 'sniHosts'], 'TLS match must have at least one SNI host');
  sniHosts.forEach((h, k) => {
    const hp = [...p, 'sniHosts', k];
    const err = appliesToGateway ? gatewayBoundHostError(true, h) : wildcardDomainError(h);
    if (err) {
      if (isIPAddress(h)) sink.warn(hp, `using an IP address ("${h}") goes against SNI spec and most clients do not support this`, SCHEMA_WARNING);
      else sink.error(hp, err);
      return;
    }
    if (!hosts.some((vh) => hostSubsetOf(h, vh))) {
      sink.error(hp, `SNI host "${h}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`);
    }
  });
  m.destinationSubnets?.forEach((s, k) => addError(sink, [...p, 'destinationSubnets', k], ipSubnetError(s)));
  if (m.port) checkPort(sink, [...p, 'port'], m.port);
  checkLabels(sink, [...p, 'sourceLabels'], m.sourceLabels);
  checkGatewayNames(sink, [...p, 'gateways'], m.gateways);
}

/**
 * Istio's unreachable-rule analysis (warnings): a rule after one without matches, and match blocks
 * that repeat an earlier one exactly (names aside).
 */
function analyzeUnreachable(sink: IssueSink, field: string, routes: readonly { match?: readonly object[] | undefined; name?: string | undefined }[], http: boolean): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  routes.forEach((route, i) => {
    const matches = route.match ?? [];
    if (matches.length === 0) {
      if (catchAll >= 0) sink.warn([field, i], `virtualService rule ${ruleName(route, i, http)} not used (only the last rule can have no matches)`, UNREACHABLE_RULE);
      catchAll = i;
      return;
    }
    let duplicates = 0;
    matches.forEach((m, j) => {
      if (catchAll >= 0) {
        sink.warn([field, i], `virtualService rule ${ruleName(route, i, http)} not used (route without matches defined before)`, UNREACHABLE_RULE);
        return;
      }
      const { name: _name, ...rest } = m as { name?: string };
      const key = JSON.stringify(rest);
      const dup = seen.get(key);
      if (dup !== undefined) {
        const matchName = http && (m as { name?: string }).name ? `"${(m as { name?: string }).name}"` : `#${j}`;
        sink.warn([field, i, 'match', j], `virtualService rule ${ruleName(route, i, http)} match ${matchName} is not used (duplicate/overlapping match in rule ${ruleName(routes[dup]!, dup, http)})`, INEFFECTIVE_MATCH);
        duplicates++;
      } else seen.set(key, i);
    });
    if (catchAll < 0 && duplicates === matches.length) sink.warn([field, i], `virtualService rule ${ruleName(route, i, http)} not used (all matches used by prior rules)`, UNREACHABLE_RULE);
  });
}

function ruleName(route: { name?: string | undefined }, i: number, http: boolean): string {
  return http && route.name ? `"${route.name}"` : `#${i}`;
}
