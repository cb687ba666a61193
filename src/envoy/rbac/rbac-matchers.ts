/**
 * Envoy RBAC `Permission` and `Principal` trees compiled into predicates over one request
 * ({@link RbacRequest}), as Envoy's `RBAC::Matcher`s evaluate them:
 * - `andRules`/`andIds` need every member, `orRules`/`orIds` any member, `notRule`/`notId` negate,
 *   `any` always matches;
 * - `header` is a route HeaderMatcher (`:path` with query, repeated values joined with ",");
 * - `urlPath` matches the path without query string;
 * - `destinationIp` / `destinationPort(Range)`: the connection's local address (the original
 *   destination of an intercepted connection);
 * - `directRemoteIp`: the peer address of the connection; `remoteIp`: the client address as the
 *   connection manager settled it (x-forwarded-for aware); an unknown address matches no range;
 * - `authenticated`: a TLS peer with a certificate; `principalName` matches its URI SAN (SPIFFE
 *   id); with no peer identity it never matches;
 * - `metadata`: the request's dynamic metadata (JWT payloads, `istio_authn`, …);
 * - `requestedServerName`: the TLS SNI ("" without TLS).
 */
import { cidrContains, cidrFromRange, parseIp } from '../cidr.js';
import { EnvoyConfigError, EnvoyConfigErrorCode } from '../errors.js';
import { compileHeaderMatcher, type RequestAttributes } from '../header-matcher.js';
import { compileStringMatcher } from '../string-matcher.js';
import type { CidrRange } from '../types.js';
import { compileMetadataMatcher, type DynamicMetadata } from './metadata-matcher.js';
import type { PathMatcher, Permission, Principal } from './types.js';

/** What RBAC reads from one request and its connection. */
export interface RbacRequest extends RequestAttributes {
  /** Local (destination) address of the connection. */
  readonly destinationIp: string | undefined;
  readonly destinationPort: number | undefined;
  /** Peer address of the connection. */
  readonly directRemoteIp: string | undefined;
  /** Client address after x-forwarded-for handling. */
  readonly remoteIp: string | undefined;
  /** Verified peer identity (URI SAN, e.g. `spiffe://cluster.local/ns/default/sa/sleep`), if any. */
  readonly peerPrincipal: string | undefined;
  /** TLS SNI, if any. */
  readonly requestedServerName: string | undefined;
  readonly metadata: DynamicMetadata;
}

/** A compiled permission or principal. */
export type RbacPredicate = (r: RbacRequest) => boolean;

const ALWAYS: RbacPredicate = () => true;

function pathOnly(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const end = q >= 0 ? (h >= 0 ? Math.min(q, h) : q) : h;
  return end >= 0 ? path.slice(0, end) : path;
}

function compilePath(m: PathMatcher, where: string): RbacPredicate {
  const test = compileStringMatcher(m.path, `${where}.path`);
  return (r) => test(pathOnly(r.path));
}

function compileCidr(range: CidrRange, where: string, get: (r: RbacRequest) => string | undefined): RbacPredicate {
  const cidr = cidrFromRange(range, where);
  return (r) => {
    const ip = get(r);
    const bytes = ip === undefined ? undefined : parseIp(ip);
    return bytes !== undefined && cidrContains(cidr, bytes);
  };
}

function all(preds: readonly RbacPredicate[]): RbacPredicate {
  if (preds.length === 1) return preds[0]!;
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(r)) return false;
    return true;
  };
}

function some(preds: readonly RbacPredicate[]): RbacPredicate {
  if (preds.length === 1) return preds[0]!;
  return (r) => {
    for (let i = 0; i < preds.length; i++) if (preds[i]!(r)) return true;
    return false;
  };
}

function needMembers<T>(list: readonly T[] | undefined, where: string): readonly T[] {
  if (!list || list.length === 0) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'a rule set needs at least one member');
  return list;
}

/** Compiles one Permission. */
export function compilePermission(p: Permission, where = 'permission'): RbacPredicate {
  if (p.andRules !== undefined) return all(needMembers(p.andRules.rules, `${where}.andRules`).map((x, i) => compilePermission(x, `${where}.andRules.rules[${i}]`)));
  if (p.orRules !== undefined) return some(needMembers(p.orRules.rules, `${where}.orRules`).map((x, i) => compilePermission(x, `${where}.orRules.rules[${i}]`)));
  if (p.any === true) return ALWAYS;
  if (p.header !== undefined) return compileHeaderMatcher(p.header, `${where}.header`);
  if (p.urlPath !== undefined) return compilePath(p.urlPath, `${where}.urlPath`);
  if (p.destinationIp !== undefined) return compileCidr(p.destinationIp, `${where}.destinationIp`, (r) => r.destinationIp);
  if (p.destinationPort !== undefined) {
    const port = p.destinationPort;
    return (r) => r.destinationPort === port;
  }
  if (p.destinationPortRange !== undefined) {
    const start = p.destinationPortRange.start ?? 0;
    const end = p.destinationPortRange.end ?? 0;
    return (r) => r.destinationPort !== undefined && r.destinationPort >= start && r.destinationPort < end;
  }
  if (p.metadata !== undefined) {
    const m = compileMetadataMatcher(p.metadata, `${where}.metadata`);
    return (r) => m(r.metadata);
  }
  if (p.notRule !== undefined) {
    const inner = compilePermission(p.notRule, `${where}.notRule`);
    return (r) => !inner(r);
  }
  if (p.requestedServerName !== undefined) {
    const test = compileStringMatcher(p.requestedServerName, `${where}.requestedServerName`);
    return (r) => test(r.requestedServerName ?? '');
  }
  throw new EnvoyConfigError(EnvoyConfigErrorCode.Unsupported, where, 'permission sets no supported rule');
}

/** Compiles one Principal. */
export function compilePrincipal(p: Principal, where = 'principal'): RbacPredicate {
  if (p.andIds !== undefined) return all(needMembers(p.andIds.ids, `${where}.andIds`).map((x, i) => compilePrincipal(x, `${where}.andIds.ids[${i}]`)));
  if (p.orIds !== undefined) return some(needMembers(p.orIds.ids, `${where}.orIds`).map((x, i) => compilePrincipal(x, `${where}.orIds.ids[${i}]`)));
  if (p.any === true) return ALWAYS;
  if (p.authenticated !== undefined) {
    const name = p.authenticated.principalName;
    if (name === undefined) return (r) => r.peerPrincipal !== undefined;
    const test = compileStringMatcher(name, `${where}.authenticated.principalName`);
    return (r) => r.peerPrincipal !== undefined && test(r.peerPrincipal);
  }
  if (p.directRemoteIp !== undefined) return compileCidr(p.directRemoteIp, `${where}.directRemoteIp`, (r) => r.directRemoteIp);
  if (p.sourceIp !== undefined) return compileCidr(p.sourceIp, `${where}.sourceIp`, (r) => r.directRemoteIp);
  if (p.remoteIp !== undefined) return compileCidr(p.remoteIp, `${where}.remoteIp`, (r) => r.remoteIp);
  if (p.header !== undefined) return compileHeaderMatcher(p.header, `${where}.header`);
  if (p.urlPath !== undefined) return compilePath(p.urlPath, `${where}.urlPath`);
  if (p.metadata !== undefined) {
    const m = compileMetadataMatcher(p.metadata, `${where}.metadata`);
    return (r) => m(r.metadata);
  }
  if (p.notId !== undefined) {
    const inner = compilePrincipal(p.notId, `${where}.notId`);
    return (r) => !inner(r);
  }
  throw new EnvoyConfigError(EnvoyConfigErrorCode.Unsupported, where, 'principal sets no supported identifier');
}
