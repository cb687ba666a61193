/**
 * Pieces every networking.istio.io kind shares: StringMatch, PortSelector and Destination, and the
 * checks Istio's validation webhook applies across kinds (host names, IPs and CIDRs, labels, port
 * names and protocols, exportTo, durations, unix socket paths, header names), written after
 * istio/istio `pkg/config/validation` and its `agent` package, and the CRDs' CEL rules.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { int, re2Error, uint, type IssueSink } from './common.js';

/** A path relative to the spec, as IssueSink takes it. */
export type Path = readonly (string | number)[];

/** Code of a webhook warning that is not a deprecation (istioctl reports them as IST0106 warnings). */
export const SCHEMA_WARNING = 'IST0106';

/** The versions every networking kind is served in. */
export const NETWORKING_VERSIONS = ['v1alpha3', 'v1beta1', 'v1'] as const;

/** Renders a spec-relative path the way istioctl names fields: `spec.http[0].fault.delay.percent`. */
export function fieldName(path: Path): string {
  let out = 'spec';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${p}`;
  return out;
}

/** Reports a deprecated field that was accepted and mapped, in istioctl's words (IST0002). */
export function warnDeprecated(sink: IssueSink, path: Path, replacement: string): void {
  sink.warn(path, `Deprecated: field "${fieldName(path)}" is deprecated; use ${replacement}`);
}

// ---------------------------------------------------------------------------------------------
// Shared messages

/** Istio's StringMatch: exactly one of exact, prefix or regex (RE2, full match); `{}` means "present". */
export const stringMatch = z.strictObject({
  exact: z.string().optional(),
  prefix: z.string().optional(),
  regex: z.string().optional(),
});
/** How a string (URI, header, query parameter, origin…) is matched. */
export type StringMatch = z.infer<typeof stringMatch>;

/** Istio's PortSelector: a port by number. */
export const portSelector = z.strictObject({ number: uint.optional() });
/** A port of a destination service, by number. */
export type PortSelector = z.infer<typeof portSelector>;

/** Istio's Destination: a service host (short, FQDN or wildcard), an optional subset and port. */
export const destination = z.strictObject({
  host: z.string().min(1, 'host is required'),
  subset: z.string().optional(),
  port: portSelector.optional(),
});
/** Where a routing rule sends a request or connection. */
export type Destination = z.infer<typeof destination>;

/** A duration field value (checked semantically so the message and path match Istio's). */
export const durationString = z.string();

/** Optional int32 field. */
export const optInt = int.optional();
/** Optional uint32 field. */
export const optUint = uint.optional();

// ---------------------------------------------------------------------------------------------
// Names and addresses

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const DNS_PREFIX = '[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/';
const LABEL_KEY = new RegExp(`^(${DNS_PREFIX})?(${QUALIFIED_NAME})$`);
const LABEL_VALUE = new RegExp(`^(?:${QUALIFIED_NAME})?$`);

/** RFC 1123 label (as Istio's `labels.IsDNS1123Label`, upper case allowed), at most 63 characters. */
export function isDNS1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** An RFC 1123 label that may be `*` or start with `*` / `*-` (Istio's wildcard first label). */
export function isWildcardDNS1123Label(s: string): boolean {
  return s.length <= 63 && WILDCARD_LABEL.test(s);
}

/** True for an IPv4 or IPv6 address (no zone, no CIDR). */
export function isIPAddress(s: string): boolean {
  return isIP(s) !== 0;
}

function dnsPreconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

function dnsLabels(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1]!;
  if (/^[+-]?\d+$/.test(tld)) return `domain name "${domain}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i]!;
    if (i === parts.length - 1 && label === '') return undefined; // trailing dot: `istio.io.`
    if (!isDNS1123Label(label)) return `domain name "${domain}" invalid (label "${label}" invalid)`;
  }
  return undefined;
}

/** Istio's `ValidateFQDN`: DNS labels, no wildcard, TLD not all-numeric; returns a message or undefined. */
export function fqdnError(name: string): string | undefined {
  return dnsPreconditions(name) ?? dnsLabels(name);
}

/** Istio's `ValidateWildcardDomain`: like an FQDN, but the first label may be a wildcard (`*`, `*.x`, `*-x`). */
export function wildcardDomainError(name: string): string | undefined {
  const pre = dnsPreconditions(name);
  if (pre) return pre;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  if (!isWildcardDNS1123Label(first)) return `domain name "${name}" invalid (label "${first}" invalid)`;
  return dot < 0 ? undefined : dnsLabels(name.slice(dot + 1));
}

/** Istio's `ValidatePartialWildCard`: `*` may only be the whole host or a `*.` prefix. */
export function partialWildcardError(host: string): string | undefined {
  if (host.includes('*') && host.length !== 1 && !host.startsWith('*.')) return `partial wildcard "${host}" not allowed`;
  return undefined;
}

/** Istio's `ValidateIPSubnet`: an IP address or a CIDR block. */
export function ipSubnetError(s: string): string | undefined {
  const slashes = s.split('/').length - 1;
  if (slashes === 1) {
    const [ip, bits] = s.split('/') as [string, string];
    const family = isIP(ip);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) return `${s} is not a valid CIDR block`;
    return undefined;
  }
  return isIPAddress(s) ? undefined : `${s} is not a valid IP`;
}

/** The prefix that marks a unix domain socket address (`unix:///path` or `unix://@abstract`). */
export const UNIX_PREFIX = 'unix://';

/** Istio's `ValidateUnixAddress` (after the `unix://` prefix): an absolute file path or an abstract `@name`. */
export function unixAddressError(addr: string): string | undefined {
  if (addr.length === 0) return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  if (!addr.startsWith('/') || addr.endsWith('/')) return `${addr} is not an absolute path to a file`;
  return undefined;
}

/**
 * Istio's host-name matching between two hosts that may be wildcards (`host.Name.Matches`): equal, or
 * one wildcard covers the other (`*.foo.com` vs `a.foo.com`, `*.com` vs `*.foo.com`, `*` vs anything).
 */
export function hostsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const aw = a.startsWith('*');
  const bw = b.startsWith('*');
  if (aw && bw) {
    const as = a.slice(1);
    const bs = b.slice(1);
    return as.endsWith(bs) || bs.endsWith(as);
  }
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return false;
}

/** Istio's `host.Name.SubsetOf`: every name `a` covers is also covered by `b`. */
export function hostSubsetOf(a: string, b: string): boolean {
  if (a === b) return true;
  if (b.startsWith('*')) {
    const suffix = b.slice(1);
    return a.startsWith('*') ? a.slice(1).endsWith(suffix) : a.endsWith(suffix);
  }
  return false;
}

/**
 * Istio's `ValidateNamespaceSlashWildcardHostname`: `namespace/dnsName` entries of Sidecar egress and
 * Gateway servers (Gateway also takes the old bare-host form and IP addresses).
 */
export function checkNamespacedHost(sink: IssueSink, path: Path, entry: string, isGateway: boolean): void {
  const slash = entry.indexOf('/');
  if (slash < 0) {
    if (isGateway) checkHostnamePart(sink, path, entry, true);
    else sink.error(path, 'host must be of form namespace/dnsName');
    return;
  }
  const ns = entry.slice(0, slash);
  const host = entry.slice(slash + 1);
  if (ns === '' || host === '') sink.error(path, 'config namespace and dnsName in host entry cannot be empty');
  const specialNs = ns === '*' || ns === '.' || (!isGateway && ns === '~');
  if (!specialNs && !isDNS1123Label(ns)) {
    sink.error(path, `invalid namespace value "${ns}" in ${isGateway ? 'gateway' : 'sidecar'}`);
  }
  checkHostnamePart(sink, path, host, isGateway);
}

function checkHostnamePart(sink: IssueSink, path: Path, host: string, isGateway: boolean): void {
  if (host !== '*' && !host.includes('.')) {
    sink.error(path, `short names (non FQDN) are not allowed: "${host}"`);
  }
  const err = wildcardDomainError(host);
  if (err && !(isGateway && isIPAddress(host))) sink.error(path, err);
  const partial = partialWildcardError(host);
  if (partial) sink.error(path, partial);
}

/** Istio's `labels.Instance.Validate`: Kubernetes label keys (optional DNS prefix) and values. */
export function checkLabels(sink: IssueSink, path: Path, labels: Readonly<Record<string, string>> | undefined): void {
  if (!labels) return;
  for (const [k, v] of Object.entries(labels)) {
    const m = LABEL_KEY.exec(k);
    if (!m) sink.error([...path, k], `invalid tag key: "${k}"`);
    else if (m[1] && m[1].length - 1 > 253) sink.error([...path, k], `invalid tag key: "${k}" (DNS prefix is too long)`);
    else if (m[2]!.length > 63) sink.error([...path, k], `invalid tag key: "${k}" (name is too long)`);
    if (!LABEL_VALUE.test(v)) sink.error([...path, k], `invalid tag value: "${v}"`);
  }
}

/** Istio's workload selector rules (`validateWorkloadSelector`): no empty keys, no `*`; warns on no labels. */
export function checkSelectorLabels(
  sink: IssueSink,
  path: Path,
  labels: Readonly<Record<string, string>> | undefined,
  emptyWarning: string,
): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k === '') sink.error([...path, k], `empty key is not supported in selector: "${k}=${v}"`);
    if (k.includes('*') || v.includes('*')) sink.error([...path, k], `wildcard is not supported in selector: "${k}=${v}"`);
  }
  if (Object.keys(labels ?? {}).length === 0) sink.warn(path, emptyWarning, SCHEMA_WARNING);
}

/** Istio's `ValidatePortName`: a DNS-1123 label. */
export function checkPortName(sink: IssueSink, path: Path, name: string): void {
  if (!isDNS1123Label(name)) sink.error(path, `invalid port name: ${name}`);
}

/** Istio's `ValidatePort`: 1–65535. */
export function checkPort(sink: IssueSink, path: Path, port: number): void {
  if (!(port >= 1 && port <= 65535)) sink.error(path, `port number ${port} must be in the range 1..65535`);
}

/** Protocols Istio's `protocol.Parse` knows, lower-cased, with their canonical names. */
const PROTOCOLS: Readonly<Record<string, string>> = {
  tcp: 'TCP', udp: 'UDP', grpc: 'GRPC', 'grpc-web': 'GRPC-Web', http: 'HTTP', http_proxy: 'HTTP_PROXY',
  http2: 'HTTP2', https: 'HTTPS', tls: 'TLS', mongo: 'Mongo', redis: 'Redis', mysql: 'MySQL',
};

/** Istio's `protocol.Parse` (case-insensitive); undefined when unsupported. */
export function parseProtocol(s: string | undefined): string | undefined {
  return s === undefined ? undefined : PROTOCOLS[s.toLowerCase()];
}

/** Protocols that carry HTTP (HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web). */
export function isHTTPProtocol(p: string | undefined): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'HTTP_PROXY' || p === 'GRPC' || p === 'GRPC-Web';
}

/** Protocols on top of TLS (HTTPS, TLS). */
export function isTLSProtocol(p: string | undefined): boolean {
  return p === 'HTTPS' || p === 'TLS';
}

/** Istio's `ValidateProtocol`: empty (sniffed) or a known protocol. */
export function checkProtocol(sink: IssueSink, path: Path, protocol: string | undefined): void {
  if (protocol !== undefined && protocol !== '' && parseProtocol(protocol) === undefined) {
    sink.error(path, `unsupported protocol: ${protocol}`);
  }
}

/**
 * Durations: Istio's CRDs require every Duration to be ≥ 1ms, and its webhook (`ValidateDuration`)
 * also requires millisecond precision. `allowZero` covers fields where `0s` means "disabled".
 */
export function checkDuration(sink: IssueSink, path: Path, value: string | undefined, opts: { allowZero?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) {
    sink.error(path, `invalid duration "${value}": expected a number with unit ns, us, ms, s, m or h (e.g. "1.5s", "500ms")`);
    return undefined;
  }
  if (ms === 0 && opts.allowZero) return 0;
  if (ms < 1) sink.error(path, 'duration must be greater than 1ms');
  else if (Math.abs(ms - Math.round(ms)) > 1e-9) sink.error(path, 'only durations to ms precision are supported');
  return ms;
}

/**
 * Istio's `validatePercentage`: a Percent is 0, or within [0.0001, 100] (range itself is in the schema).
 */
export function checkPercentage(sink: IssueSink, path: Path, p: { value: number } | undefined): void {
  if (p && p.value > 0 && p.value < 0.0001) sink.error(path, `percentage ${p.value} is neither 0.0, nor in range [0.0001, 100.0]`);
}

/**
 * Istio's `validateExportTo`: `.`, `*` or a namespace (DNS label); `~` only on ServiceEntry and alone;
 * no duplicates (`.` counts as the resource's namespace); `*` alone; DestinationRules with a workload
 * selector export only to their own namespace.
 */
export function checkExportTo(
  sink: IssueSink,
  path: Path,
  namespace: string,
  exportTo: readonly string[] | undefined,
  opts: { serviceEntry?: boolean; drWithSelector?: boolean } = {},
): void {
  if (!exportTo || exportTo.length === 0) return;
  const seen = new Set<string>();
  exportTo.forEach((e, i) => {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      sink.error([...path, i], key !== e ? `duplicate entries in exportTo: . and current namespace ${namespace}` : `duplicate entries in exportTo for entry ${e}`);
      return;
    }
    if (e === '~') {
      if (opts.serviceEntry) seen.add(key);
      else sink.error([...path, i], 'exportTo ~ (none) is not allowed for Istio configuration objects');
      return;
    }
    if (key !== '*' && key !== '.' && !isDNS1123Label(key)) {
      sink.error([...path, i], 'only .,*,~, or a valid DNS 1123 label is allowed as exportTo entry');
      return;
    }
    seen.add(key);
  });
  if (opts.drWithSelector && seen.size > 0) {
    if (!seen.has(namespace)) sink.error(path, 'destination rule with workload selector cannot have exportTo beyond current namespace');
    else if (seen.size > 1) sink.error(path, 'destination rule with workload selector cannot have multiple entries in exportTo');
  }
  if (seen.has('*') && exportTo.length > 1) sink.error(path, 'cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && exportTo.length > 1) sink.error(path, 'cannot export service entry to no one (~) and someone');
}

// ---------------------------------------------------------------------------------------------
// StringMatch, Destination

/**
 * Istio's StringMatch checks: at most one of exact/prefix/regex; `prefix: ""` only where Envoy allows
 * it (`uri`); a regex must be non-empty, ≤ 1024 characters and valid RE2.
 */
export function checkStringMatch(sink: IssueSink, path: Path, m: StringMatch | undefined, opts: { allowEmptyPrefix?: boolean } = {}): void {
  if (!m) return;
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => m[k] !== undefined);
  if (set.length > 1) {
    sink.error(path, `only one of exact, prefix or regex may be set (found ${set.join(', ')})`);
    return;
  }
  if (m.prefix === '' && !opts.allowEmptyPrefix) sink.error([...path, 'prefix'], 'prefix string match should not be empty');
  if (m.regex !== undefined) {
    const err = regexError(m.regex);
    if (err) sink.error([...path, 'regex'], err);
  }
}

/** Istio's `validateStringRegexp`: non-empty, at most 1024 characters, RE2 syntax. */
export function regexError(re: string): string | undefined {
  if (re === '') return 'regex string match should not be empty';
  if (re.length > 1024) return 'regex is too large, max length allowed is 1024';
  const err = re2Error(re);
  return err ? `${err}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)` : undefined;
}

/** Istio's `validateSubsetName`: a DNS-1123 label. */
export function subsetNameError(name: string): string | undefined {
  if (name.length === 0) return 'subset name cannot be empty';
  if (!isDNS1123Label(name)) return `subset name is invalid: ${name}`;
  return undefined;
}

/** Istio's `validateDestination`: host not `*`, a (wildcard) domain; subset a DNS label; port in range. */
export function checkDestination(sink: IssueSink, path: Path, d: Destination | undefined): void {
  if (!d) return;
  if (d.host === '*') sink.error([...path, 'host'], `invalid destination host ${d.host}`);
  else {
    const err = wildcardDomainError(d.host);
    if (err) sink.error([...path, 'host'], err);
  }
  if (d.subset !== undefined) {
    const err = subsetNameError(d.subset);
    if (err) sink.error([...path, 'subset'], err);
  }
  if (d.port) checkPort(sink, [...path, 'port', 'number'], d.port.number ?? 0);
}

/** Istio's `validateGatewayNames`: `mesh`, `name`, or `namespace/name` (legacy `name.namespace` warns). */
export function checkGatewayNames(sink: IssueSink, path: Path, names: readonly string[] | undefined): void {
  (names ?? []).forEach((g, i) => {
    const p = [...path, i];
    const slash = g.indexOf('/');
    if (slash < 0) {
      if (g.includes('.')) {
        const parts = g.split('.');
        sink.warn(p, `using legacy gatewayName format "${g}"; prefer the <namespace>/<name> format: "${parts[1]}/${parts[0]}"`, SCHEMA_WARNING);
      }
      const err = fqdnError(g);
      if (err) sink.error(p, err);
      return;
    }
    const ns = g.slice(0, slash);
    const name = g.slice(slash + 1);
    if (ns === '' || name === '') sink.error(p, 'config namespace and gateway name cannot be empty');
    if (!isDNS1123Label(ns)) sink.error(p, `invalid value for namespace: "${ns}"`);
    if (!isDNS1123Label(name)) sink.error(p, `invalid value for gateway name: "${name}"`);
  });
}
