/**
 * Host names as Istio resolves and matches them: short names expand in the namespace of the resource
 * that names them, wildcards match by suffix, and exportTo decides who sees what. Configuration
 * vocabulary below the registry and the model (Istio keeps it in pkg/config/host and pkg/config/visibility).
 */
/** Which namespaces may see a resource: `*` (all), or a set of namespace names (Istio's `exportTo`). */
export type ExportTo = '*' | ReadonlySet<string>;

/**
 * Expands a short host (`reviews`) to its FQDN (`reviews.default.svc.cluster.local`) in `namespace`,
 * as istiod's ResolveShortnameToFQDN: only names without a dot are expanded; wildcards stay as they are.
 */
export function resolveHost(host: string, namespace: string, domainSuffix = 'cluster.local'): string {
  if (host === '' || host.startsWith('*') || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** True when `pattern` (possibly `*.example.com` or `*`) covers the concrete or wildcard host `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern === host) return true;
  if (pattern.startsWith('*')) {
    const suffix = pattern.slice(1); // `.example.com`
    if (host.startsWith('*')) return host.slice(1).endsWith(suffix);
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return false;
}

/** True when two hosts overlap (either covers the other), Istio's `Name.Matches` in both directions. */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/**
 * Parses `exportTo` as Istio does: absent or empty = `*`; `.` = the resource's own namespace;
 * `~` = nobody; otherwise namespace names.
 */
export function parseExportTo(values: readonly string[] | undefined, ownNamespace: string): ExportTo {
  if (!values || values.length === 0) return '*';
  if (values.includes('*')) return '*';
  const out = new Set<string>();
  for (const v of values) {
    if (v === '.') out.add(ownNamespace);
    else if (v !== '~') out.add(v);
  }
  return out;
}

/** True when a resource exported with `exportTo` is visible from namespace `ns`. */
export function isVisible(exportTo: ExportTo, ns: string): boolean {
  return exportTo === '*' || exportTo.has(ns);
}

/** Splits a Sidecar egress / Gateway host `ns/host` into its parts (`*` or `.` namespaces allowed). */
export function splitNamespacedHost(value: string): { namespace: string; host: string } {
  const slash = value.indexOf('/');
  if (slash < 0) return { namespace: '*', host: value };
  return { namespace: value.slice(0, slash), host: value.slice(slash + 1) };
}
