/**
 * Envoy's `UpstreamHttpProtocolOptions.auto_sni` / `auto_san_validation`
 * (envoy/config/core/v3/protocol.proto; source/common/router/router.cc): for each new upstream
 * connection of an HTTP request, the router takes the request's host — the `Host`/`:authority`
 * header as the router sends it (after host rewrites), or the header named by
 * `override_auto_sni_header` — without its port, and
 * - `auto_sni`: sends it as the TLS SNI (not when it is an IP address: SNI cannot carry one; nor,
 *   in Weft, when it is not a well-formed DNS name);
 * - `auto_san_validation`: requires the server certificate to carry it as a SAN, replacing the
 *   context's `match_subject_alt_names` for that connection.
 * Connections are pooled per resulting transport options (Envoy hashes them into the pool key), so
 * a connection verified for one host never carries a request for another.
 *
 * istiod sets both on SIMPLE/MUTUAL clusters whose DestinationRule has no `sni` (auto SAN also
 * needs no `subjectAltNames` and no `insecureSkipVerify`): pilot/pkg/networking/core/cluster_tls.go
 * `setAutoSniAndAutoSanValidation`.
 *
 * Weft extensions, stricter than Envoy (whose tcp_proxy ignores these options and so sends no SNI
 * and checks no name): a TCP connection, or a request without any host, uses the cluster's service
 * host (`outbound|<port>|<subset>|<host>`) when that is a concrete DNS name.
 */
import { isIP } from 'node:net';
import type { Cluster, UpstreamHttpProtocolOptions } from '../../envoy/types.js';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A cluster's auto SNI / SAN settings. */
export interface AutoSniConfig {
  readonly autoSni: boolean;
  readonly autoSanValidation: boolean;
  /** Header to take the host from instead of Host (lower case). */
  readonly header: string | undefined;
  /** The cluster's service host, used when a connection has no request host (TCP). */
  readonly fallbackHost: string | undefined;
}

/** Per-connection TLS options (Envoy's TransportSocketOptions): equal keys may share connections. */
export interface UpstreamTransport {
  /** '' = the transport socket's own settings. */
  readonly key: string;
  /** SNI to send instead of the context's `sni`. */
  readonly serverName?: string;
  /** SANs the certificate must cover instead of the context's matchers. */
  readonly verifySans?: readonly string[];
}

/** No per-connection overrides. */
export const DEFAULT_TRANSPORT: UpstreamTransport = Object.freeze({ key: '' });

const cache = new WeakMap<Cluster, AutoSniConfig | null>();

/** The cluster's auto SNI settings, or undefined when it sets neither option. */
export function autoSniConfig(cluster: Cluster): AutoSniConfig | undefined {
  let c = cache.get(cluster);
  if (c === undefined) {
    const http = cluster.typedExtensionProtocolOptions?.[HTTP_PROTOCOL_OPTIONS] as UpstreamHttpProtocolOptions | undefined;
    const u = http?.upstreamHttpProtocolOptions;
    c = u?.autoSni === true || u?.autoSanValidation === true
      ? {
          autoSni: u.autoSni === true,
          autoSanValidation: u.autoSanValidation === true,
          header: u.overrideAutoSniHeader ? u.overrideAutoSniHeader.toLowerCase() : undefined,
          fallbackHost: clusterServiceHost(cluster.name ?? ''),
        }
      : null;
    cache.set(cluster, c);
  }
  return c ?? undefined;
}

/** The service host of an `outbound|<port>|<subset>|<host>` cluster when it is a concrete DNS name. */
export function clusterServiceHost(name: string): string | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const host = parts[3]!;
  return isDnsName(host) ? host : undefined;
}

/** The host part of an authority (`api.example.com:8443` → `api.example.com`, `[::1]:80` → `::1`). */
export function hostOfAuthority(authority: string): string {
  const a = authority.trim();
  if (a.startsWith('[')) {
    const end = a.indexOf(']');
    return end > 0 ? a.slice(1, end) : a;
  }
  const colon = a.indexOf(':');
  // Two colons or more without brackets: a bare IPv6 address.
  if (colon >= 0 && a.indexOf(':', colon + 1) >= 0) return a;
  return colon >= 0 ? a.slice(0, colon) : a;
}

/** The request host to use: the override header, else Host / `:authority`; '' when none. */
export function requestHost(cfg: AutoSniConfig, headers: Readonly<Record<string, string | string[] | undefined>> | undefined): string {
  if (headers === undefined) return '';
  const raw = cfg.header !== undefined ? headers[cfg.header] : (headers['host'] ?? headers[':authority']);
  const v = Array.isArray(raw) ? raw[0] : raw;
  return v ? hostOfAuthority(v) : '';
}

/**
 * The transport options for a connection made for `host` ('' = none known: the cluster's service
 * host is used, or no override at all).
 */
export function upstreamTransport(cfg: AutoSniConfig | undefined, host: string): UpstreamTransport {
  if (cfg === undefined) return DEFAULT_TRANSPORT;
  const h = host !== '' ? host : (cfg.fallbackHost ?? '');
  if (h === '') return DEFAULT_TRANSPORT;
  const serverName = cfg.autoSni && isDnsName(h) ? h : undefined;
  const verifySans = cfg.autoSanValidation ? [h] : undefined;
  if (serverName === undefined && verifySans === undefined) return DEFAULT_TRANSPORT;
  return { key: `sni=${serverName ?? ''}|san=${verifySans?.[0] ?? ''}`, ...(serverName !== undefined ? { serverName } : {}), ...(verifySans ? { verifySans } : {}) };
}

function isDnsName(h: string): boolean {
  return h !== '' && !h.includes('*') && isIP(h) === 0 && /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(h);
}
