/**
 * `NO_PROXY` matching, as curl and most HTTP clients read it: a comma- (or space-) separated list
 * of `*` (everything), host names (matching the name and its subdomains; a leading `.` is
 * optional), IP addresses, IPv4 CIDR ranges (`127.0.0.0/8`), each optionally with `:port`.
 */
import { isIP } from 'node:net';

/** One parsed `NO_PROXY` entry. */
interface Entry {
  readonly host: string;
  readonly port?: number;
  readonly cidr?: { readonly base: number; readonly bits: number };
}

/** A parsed `NO_PROXY` list. */
export class NoProxyList {
  private readonly all: boolean;
  private readonly entries: readonly Entry[];

  /** Parses the value of `NO_PROXY` (undefined or empty = bypass nothing). */
  constructor(value: string | undefined) {
    const items = (value ?? '').split(/[\s,]+/).map((s) => s.trim().toLowerCase()).filter(Boolean);
    this.all = items.includes('*');
    this.entries = items.filter((s) => s !== '*').map(parseEntry).filter((e): e is Entry => e !== undefined);
  }

  /** True when a request to `hostname:port` must bypass the proxy. */
  matches(hostname: string, port: number): boolean {
    if (this.all) return true;
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const v4 = isIP(host) === 4 ? ipv4ToInt(host) : undefined;
    for (const e of this.entries) {
      if (e.port !== undefined && e.port !== port) continue;
      if (e.cidr) {
        if (v4 !== undefined && maskEquals(v4, e.cidr.base, e.cidr.bits)) return true;
        continue;
      }
      const name = e.host.startsWith('.') ? e.host.slice(1) : e.host;
      if (host === name || host.endsWith(`.${name}`)) return true;
    }
    return false;
  }
}

function parseEntry(item: string): Entry | undefined {
  let host = item;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] ? Number(bracketed[2]) : undefined;
  } else if ((item.match(/:/g) ?? []).length === 1) {
    const [h, p] = item.split(':');
    host = h!;
    port = Number(p);
    if (!Number.isInteger(port)) return undefined;
  }
  const slash = host.indexOf('/');
  if (slash >= 0) {
    const base = host.slice(0, slash);
    const bits = Number(host.slice(slash + 1));
    if (isIP(base) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
    return { host, port, cidr: { base: ipv4ToInt(base), bits } };
  }
  return { host, port };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function maskEquals(a: number, b: number, bits: number): boolean {
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(a / 2 ** shift) === Math.floor(b / 2 ** shift);
}
