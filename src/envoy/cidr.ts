/**
 * IP addresses and CIDR ranges as byte arrays, for filter-chain matching (and anything else that
 * needs Envoy's `CidrRange`). A range's host bits are masked off, as Envoy's `CidrRange::create`
 * does, and its prefix length is clamped to the address width. IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`, what Node reports on dual-stack sockets) are treated as their IPv4 address.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { EnvoyConfigError, EnvoyConfigErrorCode } from './errors.js';
import type { CidrRange } from './types.js';

/** A parsed IP address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export type IpBytes = Uint8Array;

/** A parsed, masked CIDR range. */
export interface Cidr {
  readonly bytes: IpBytes;
  readonly prefixLen: number;
  /** Canonical text, e.g. `10.0.0.0/8`, used as a map key. */
  readonly key: string;
}

/**
 * `::ffff:a.b.c.d` (an IPv4 peer as a dual-stack socket reports it) as `a.b.c.d`; other values,
 * and undefined, unchanged. The one place addresses are unmapped before matching or printing.
 */
export function unmapIpv4<T extends string | undefined>(ip: T): T {
  return (ip !== undefined && ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip) as T;
}

function parseV4(s: string): IpBytes {
  const out = new Uint8Array(4);
  const parts = s.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

function parseV6(s: string): IpBytes {
  const out = new Uint8Array(16);
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: IpBytes | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    tail = parseV4(text.slice(lastColon + 1));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined
    ? headGroups
    : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? '0', 16);
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

function unmapV4(b: IpBytes): IpBytes {
  if (b.length !== 16) return b;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return b;
  if (b[10] !== 0xff || b[11] !== 0xff) return b;
  return b.subarray(12, 16);
}

/** Parses an IP address; undefined when it is not one. IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(s: string): IpBytes | undefined {
  if (isIPv4(s)) return parseV4(s);
  if (isIPv6(s)) return unmapV4(parseV6(s));
  return undefined;
}

function format(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Builds a masked CIDR from an address and prefix length; throws EnvoyConfigError if invalid. */
export function makeCidr(address: string, prefixLen: number, where = 'cidr'): Cidr {
  const parsed = isIPv4(address) ? parseV4(address) : isIPv6(address) ? parseV6(address) : undefined;
  if (!parsed) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidCidr, where, `invalid IP address ${JSON.stringify(address)}`);
  const width = parsed.length * 8;
  const len = Math.max(0, Math.min(prefixLen, width));
  const bytes = new Uint8Array(parsed);
  for (let bit = len; bit < width; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { bytes, prefixLen: len, key: `${format(bytes)}/${len}` };
}

/** Parses an Envoy CidrRange (`addressPrefix` + `prefixLen`, missing length = 0). */
export function cidrFromRange(r: CidrRange, where = 'cidr'): Cidr {
  return makeCidr(r.addressPrefix ?? '', r.prefixLen?.value ?? 0, where);
}

/** The catch-all ranges Envoy uses for "no prefix ranges": 0.0.0.0/0 and ::/0. */
export const CATCH_ALL: readonly Cidr[] = [makeCidr('0.0.0.0', 0), makeCidr('::', 0)];

/** True when `ip` (same family) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: IpBytes): boolean {
  if (cidr.bytes.length !== ip.length) return false;
  const full = cidr.prefixLen >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== ip[i]) return false;
  const rem = cidr.prefixLen & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (ip[full]! & mask) === cidr.bytes[full];
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(ip: IpBytes): boolean {
  if (ip.length === 4) return ip[0] === 127;
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false;
  return ip[15] === 1;
}

/** True when two parsed addresses are equal. */
export function sameIp(a: IpBytes, b: IpBytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
