/**
 * Where `weft load` connects and what it puts in the request line: the URL (a missing scheme
 * means http://, as fortio accepts `localhost:8080/`), and — only when the user opts in — the
 * `HTTP_PROXY` / `http_proxy` environment proxy with `NO_PROXY` exceptions, which is how apps
 * inside `weft up` reach their sidecar. Through a proxy the request line carries the absolute
 * URL (RFC 9112 §3.2.2). https URLs always connect directly (no CONNECT tunnelling).
 */
import { WeftError } from '../util/weft-error.js';

/** A resolved load target. */
export interface LoadTarget {
  /** The URL requested. */
  readonly url: URL;
  /** True for https. */
  readonly tls: boolean;
  /** Host name or IP literal to connect to (the origin, or the proxy), without IPv6 brackets. */
  readonly connectHost: string;
  /** Port to connect to. */
  readonly connectPort: number;
  /** TLS server name (SNI) for https, when the host is a name. */
  readonly servername?: string;
  /** Request target: origin-form (`/path?q`), or absolute-form through a proxy. */
  readonly requestTarget: string;
  /** Default Host header value (`host[:port]`). */
  readonly authority: string;
  /** The proxy URL used, if any (without its credentials). */
  readonly proxy?: string;
  /**
   * `Proxy-Authorization` for the proxy, from credentials in its URL (`http://user:pass@host:port`,
   * Basic, as curl, Go and undici send them; `weft up` gives each pod such a URL).
   */
  readonly proxyAuthorization?: string;
}

/** A URL or proxy setting that cannot be used. Codes: `LOAD_BAD_URL`, `LOAD_BAD_PROXY`. */
export class TargetError extends WeftError {
  /** Stable error code. */
  readonly code: 'LOAD_BAD_URL' | 'LOAD_BAD_PROXY';
  constructor(code: 'LOAD_BAD_URL' | 'LOAD_BAD_PROXY', message: string) {
    super(message);
    this.name = 'TargetError';
    this.code = code;
  }
}

/** Options of {@link resolveTarget}. */
export interface TargetOptions {
  /** Honour HTTP_PROXY / http_proxy and NO_PROXY / no_proxy from `env` for http:// URLs. */
  readonly useEnvProxy?: boolean;
  /** Environment to read proxy settings from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Parses the URL argument and decides where to connect. Throws {@link TargetError}. */
export function resolveTarget(raw: string, options: TargetOptions = {}): LoadTarget {
  const text = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetError('LOAD_BAD_URL', `invalid URL ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetError('LOAD_BAD_URL', `unsupported scheme ${url.protocol} (http and https only)`);
  if (!url.hostname) throw new TargetError('LOAD_BAD_URL', `URL ${JSON.stringify(raw)} has no host`);
  if (url.username || url.password) throw new TargetError('LOAD_BAD_URL', 'credentials in the URL are not supported; pass an Authorization header with -H');
  const tls = url.protocol === 'https:';
  const port = Number(url.port || (tls ? 443 : 80));
  if (port === 0) throw new TargetError('LOAD_BAD_URL', `URL ${JSON.stringify(raw)} has port 0`);
  const host = unbracket(url.hostname);
  const origin = `${url.pathname || '/'}${url.search}`;
  const base = { url, tls, authority: url.host, servername: tls && !isIpLiteral(host) ? host : undefined };
  const env = options.env ?? {};
  const proxy = !tls && options.useEnvProxy ? (env.http_proxy || env.HTTP_PROXY) : undefined;
  if (proxy && !bypassesProxy(host, port, env.no_proxy ?? env.NO_PROXY ?? '')) {
    let p: URL;
    try {
      p = new URL(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(proxy) ? proxy : `http://${proxy}`);
    } catch {
      throw new TargetError('LOAD_BAD_PROXY', `invalid HTTP_PROXY ${JSON.stringify(proxy)}`);
    }
    if (p.protocol !== 'http:') throw new TargetError('LOAD_BAD_PROXY', `unsupported proxy scheme ${p.protocol} (http only)`);
    if (Number(p.port) === 0 && p.port !== '') throw new TargetError('LOAD_BAD_PROXY', `proxy ${JSON.stringify(proxy)} has port 0`);
    const absolute = `http://${url.host}${origin}`;
    const proxyAuthorization = p.username || p.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`
      : undefined;
    return { ...base, connectHost: unbracket(p.hostname), connectPort: Number(p.port || 80), requestTarget: absolute, proxy: `http://${p.host}/`, proxyAuthorization };
  }
  return { ...base, connectHost: host, connectPort: port, requestTarget: origin };
}

/**
 * Whether NO_PROXY exempts `host:port`: entries separated by commas or spaces; `*` matches
 * everything; `name` or `.name` matches the name and its subdomains; `name:port` also checks the
 * port; `a.b.c.d/n` matches IPv4 addresses in that block.
 */
export function bypassesProxy(host: string, port: number, noProxy: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (ipv4InCidr(h, entry)) return true;
      continue;
    }
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch && !entry.startsWith('[') && entry.split(':').length === 2) {
      if (Number(portMatch[2]) !== port) continue;
      entry = portMatch[1]!;
    }
    entry = unbracket(entry).replace(/^\*?\./, '').replace(/\.$/, '');
    if (h === entry || h.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function ipv4InCidr(host: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const a = ipv4ToInt(host);
  const b = ipv4ToInt(net ?? '');
  const bits = Number(bitsText);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

function ipv4ToInt(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isIpLiteral(host: string): boolean {
  return ipv4ToInt(host) !== undefined || host.includes(':');
}
