/**
 * The Host header values a client may use for a service, as istiod's generateVirtualHostDomains /
 * GenerateAltVirtualHosts compute them for a proxy in namespace `ns`: the hostname, then for
 * Kubernetes services the short forms (`name`, `name.ns.svc`, `name.ns` for the same namespace;
 * `name.ns`, `name.ns.svc` for another), then the VIPs, each with and without `:port`.
 *
 * Modern istiod leaves out the `:port` forms and sets `ignorePortInHostMatching` instead; Weft keeps
 * both forms (as istiod did before) so that exact `host:port` matching works without port stripping.
 */
import type { Service } from '../../registry/types.js';

/** Domains of `service` on `port`, seen from a proxy in `proxyNamespace`. */
export function virtualHostDomains(service: Service, port: number, proxyNamespace: string, domainSuffix: string): string[] {
  const out: string[] = [];
  const add = (d: string) => out.push(d, `${d}:${port}`);
  add(service.hostname);
  for (const alt of altHosts(service.hostname, proxyNamespace, domainSuffix)) add(alt);
  for (const vip of service.addresses) {
    if (vip && vip !== '0.0.0.0' && !vip.includes('/')) add(vip.includes(':') ? `[${vip}]` : vip);
  }
  return out;
}

/** The shortened Kubernetes forms of `hostname` (none for non-Kubernetes hosts). */
function altHosts(hostname: string, proxyNamespace: string, domainSuffix: string): string[] {
  const suffix = `.svc.${domainSuffix}`;
  if (!hostname.endsWith(suffix)) return [];
  const nameNs = hostname.slice(0, -suffix.length); // name.ns
  const dot = nameNs.indexOf('.');
  if (dot <= 0 || dot === nameNs.length - 1) return [];
  const name = nameNs.slice(0, dot);
  const ns = nameNs.slice(dot + 1);
  if (ns === proxyNamespace) return [name, `${nameNs}.svc`, nameNs];
  return [nameNs, `${nameNs}.svc`];
}
