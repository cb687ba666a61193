/**
 * One AuthorizationPolicy rule as one Envoy RBAC policy, as istiod's authz model generates it:
 * permissions = AND(OR(to.operation…), when-conditions on the destination) and principals =
 * AND(OR(from.source…), when-conditions on the source/request); an absent side is `any`. Inside an
 * operation or a source the fields AND together; the values of one field OR together; a `notX`
 * field (and `notValues`) is NOT(OR(values)).
 *
 * Attribute mapping: hosts → `:authority` (case-insensitive glob), methods → `:method`, paths →
 * url path (globs and `{*}`/`{**}` templates), ports/destination.port → destination port,
 * destination.ip → destination IP, connection.sni → requested server name; principals /
 * source.principal → peer URI SAN, namespaces / source.namespace → SPIFFE namespace regex,
 * trustDomains / source.trustDomain → SPIFFE trust-domain prefix (or regex with `*`),
 * serviceAccounts / source.serviceAccount → exact SPIFFE ids, ipBlocks / source.ip → direct remote
 * IP, remoteIpBlocks / remote.ip → remote IP (x-forwarded-for aware), requestPrincipals /
 * request.auth.principal|audiences|presenter|claims[…] → `istio_authn` dynamic metadata set by the
 * JWT filter, request.headers[h] → header h, experimental.envoy.filters.<f>[k] → dynamic metadata
 * of filter f at key k (list element match).
 *
 * DENY semantics: in Envoy a missing header, metadata value or peer identity never matches a value
 * matcher but does match its negation, so `notValues`, `notPrincipals`, `notRequestPrincipals` and
 * friends in a DENY rule deny requests that lack the attribute, as Istio documents for
 * "require a JWT" (`notRequestPrincipals: ["*"]`).
 *
 * TCP (network RBAC, `tcpAction` set), as istiod's `Model.Generate(forTCP)`: the HTTP-only fields
 * (hosts, methods, paths, requestPrincipals and the `request.*` condition keys, each with its `notX`
 * form) cannot be evaluated on a connection. In an ALLOW rule any of them makes the whole rule
 * unusable ({@link HttpOnlyOnTcpError}: the rule is skipped, so it allows nothing); in a DENY or
 * AUDIT rule they are dropped, so the rule matches more connections (istiod's `checkError`).
 */
import type { Condition, Operation, Rule, Source } from '../../config/schema/authorization-policy.js';
import type { HeaderMatcher, StringMatcher } from '../../envoy/types.js';
import type { MetadataMatcher, Permission, Principal, RbacPolicy, ValueMatcher } from '../../envoy/rbac/types.js';
import { AuthnAttribute, ISTIO_AUTHN } from '../../envoy/jwt/authn-attributes.js';
import { cidrRange, globMatcher, namespaceMatcher, pathMatcher, principalMatcher, serviceAccountMatcher, trustDomainMatcher, withTrustDomainAliases } from './istio-values.js';
import { WeftError } from '../../util/weft-error.js';

/** What rule conversion needs besides the rule. */
export interface RuleContext {
  readonly policyNamespace: string;
  readonly trustDomain: string;
  /** Set when converting for a TCP filter chain: the RBAC action the rule is for. */
  readonly tcpAction?: 'ALLOW' | 'DENY' | 'LOG';
}

/** Stable code of a rule that cannot be converted (the rule is skipped, as istiod does). */
export const RULE_ERROR_CODE = 'AUTHZ_RULE_UNSUPPORTED';

/** A rule that cannot be converted. */
export class RuleError extends WeftError {
  readonly code = RULE_ERROR_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'RuleError';
  }
}

/**
 * An ALLOW rule using an HTTP-only field, converted for TCP: istiod skips the rule (it matches
 * nothing). Code {@link RULE_ERROR_CODE}, as any rule that cannot be converted.
 */
export class HttpOnlyOnTcpError extends RuleError {
  constructor(readonly field: string) {
    super(`${field} is HTTP only: the rule matches no TCP connection`);
    this.name = 'HttpOnlyOnTcpError';
  }
}

/**
 * Whether an HTTP-only field is kept: always for HTTP; on TCP an ALLOW rule fails
 * ({@link HttpOnlyOnTcpError}) and a DENY/AUDIT rule drops the field (false).
 */
function keepHttpOnly(field: string, ctx: RuleContext | undefined): boolean {
  if (ctx?.tcpAction === undefined) return true;
  if (ctx.tcpAction === 'ALLOW') throw new HttpOnlyOnTcpError(field);
  return false;
}

const ANY_PERMISSION: Permission = Object.freeze({ any: true });
const ANY_PRINCIPAL: Principal = Object.freeze({ any: true });

function orPerm(list: Permission[]): Permission {
  return list.length === 1 ? list[0]! : { orRules: { rules: list } };
}
function andPerm(list: Permission[]): Permission {
  return list.length === 0 ? ANY_PERMISSION : list.length === 1 ? list[0]! : { andRules: { rules: list } };
}
function orId(list: Principal[]): Principal {
  return list.length === 1 ? list[0]! : { orIds: { ids: list } };
}
function andId(list: Principal[]): Principal {
  return list.length === 0 ? ANY_PRINCIPAL : list.length === 1 ? list[0]! : { andIds: { ids: list } };
}

function headerGlob(name: string, v: string, ignoreCase = false): HeaderMatcher {
  if (v === '*') return { name, presentMatch: true };
  return { name, stringMatch: globMatcher(v, ignoreCase) };
}

function authnMetadata(path: readonly string[], value: ValueMatcher): MetadataMatcher {
  return { filter: ISTIO_AUTHN, path: path.map((key) => ({ key })), value };
}

/** A string-or-list attribute: matches a string value or any element of a list value. */
function stringOrList(m: StringMatcher): ValueMatcher {
  return { orMatch: { valueMatchers: [{ stringMatch: m }, { listMatch: { oneOf: { stringMatch: m } } }] } };
}

/** Parses `a[b][c]` keys into their bracket parts (`request.auth.claims[a][b]` → [a, b]). */
function bracketParts(key: string, prefix: string): string[] {
  const rest = key.slice(prefix.length);
  const parts: string[] = [];
  const re = /\[([^\]]*)\]/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((re.lastIndex = at, (m = re.exec(rest)) !== null)) {
    parts.push(m[1]!);
    at = re.lastIndex;
  }
  if (at !== rest.length || parts.length === 0 || parts.some((p) => p === '')) throw new RuleError(`bad key ${key}: expected ${prefix}[name]`);
  return parts;
}

type Side = { readonly permission: (v: string) => Permission } | { readonly principal: (v: string) => Principal };

/** How one `when` key converts, by value. */
function conditionSide(key: string, ctx: RuleContext): Side {
  const td = ctx.trustDomain;
  switch (key) {
    case 'source.ip':
      return { principal: (v) => ({ directRemoteIp: cidrRange(v) }) };
    case 'remote.ip':
      return { principal: (v) => ({ remoteIp: cidrRange(v) }) };
    case 'source.namespace':
      return { principal: (v) => ({ authenticated: { principalName: namespaceMatcher(v) } }) };
    case 'source.principal':
      return { principal: (v) => ({ authenticated: { principalName: principalMatcher(v) } }) };
    case 'source.trustDomain':
      return { principal: (v) => ({ authenticated: { principalName: trustDomainMatcher(v) } }) };
    case 'source.serviceAccount':
      return { principal: (v) => ({ authenticated: { principalName: serviceAccountMatcher(v, ctx.policyNamespace, td) } }) };
    case 'request.auth.principal':
      return { principal: (v) => ({ metadata: authnMetadata([AuthnAttribute.Principal], { stringMatch: globMatcher(v) }) }) };
    case 'request.auth.audiences':
      return { principal: (v) => ({ metadata: authnMetadata([AuthnAttribute.Audiences], stringOrList(globMatcher(v))) }) };
    case 'request.auth.presenter':
      return { principal: (v) => ({ metadata: authnMetadata([AuthnAttribute.Presenter], { stringMatch: globMatcher(v) }) }) };
    case 'destination.ip':
      return { permission: (v) => ({ destinationIp: cidrRange(v) }) };
    case 'destination.port':
      return { permission: (v) => ({ destinationPort: Number(v) }) };
    case 'connection.sni':
      return { permission: (v) => ({ requestedServerName: globMatcher(v) }) };
  }
  for (const prefix of ['request.headers', 'request.experimental.inline.headers']) {
    if (key.startsWith(`${prefix}[`)) {
      const [name] = bracketParts(key, prefix);
      return { principal: (v) => ({ header: headerGlob(name!.toLowerCase(), v) }) };
    }
  }
  if (key.startsWith('request.auth.claims[')) {
    const path = [AuthnAttribute.Claims, ...bracketParts(key, 'request.auth.claims')];
    return { principal: (v) => ({ metadata: authnMetadata(path, stringOrList(globMatcher(v))) }) };
  }
  if (key.startsWith('experimental.envoy.filters.')) {
    const open = key.indexOf('[');
    if (open < 0) throw new RuleError(`bad key ${key}: expected experimental.envoy.filters.<filter>[key]`);
    const filter = key.slice('experimental.'.length, open);
    const path = bracketParts(key.slice(open), '');
    return { permission: (v) => ({ metadata: { filter, path: path.map((k) => ({ key: k })), value: { listMatch: { oneOf: { stringMatch: globMatcher(v) } } } } }) };
  }
  throw new RuleError(`unsupported condition key ${key}`);
}

/** Condition keys only an HTTP request has (istiod's generators return an error for TCP). */
function httpOnlyKey(key: string): boolean {
  return key.startsWith('request.');
}

function conditionPermissions(c: Condition, side: Side, perms: Permission[], ids: Principal[]): void {
  if ('permission' in side) {
    if (c.values?.length) perms.push(orPerm(c.values.map(side.permission)));
    if (c.notValues?.length) perms.push({ notRule: orPerm(c.notValues.map(side.permission)) });
  } else {
    if (c.values?.length) ids.push(orId(c.values.map(side.principal)));
    if (c.notValues?.length) ids.push({ notId: orId(c.notValues.map(side.principal)) });
  }
}

function operationPermission(op: Operation, ctx: RuleContext): Permission {
  const out: Permission[] = [];
  const field = (values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Permission, httpOnly?: string) => {
    if (!values?.length && !notValues?.length) return;
    if (httpOnly !== undefined && !keepHttpOnly(httpOnly, ctx)) return;
    if (values?.length) out.push(orPerm(values.map(one)));
    if (notValues?.length) out.push({ notRule: orPerm(notValues.map(one)) });
  };
  field(op.hosts, op.notHosts, (v) => ({ header: headerGlob(':authority', v, true) }), 'hosts');
  field(op.ports, op.notPorts, (v) => ({ destinationPort: Number(v) }));
  field(op.methods, op.notMethods, (v) => ({ header: headerGlob(':method', v) }), 'methods');
  field(op.paths, op.notPaths, (v) => ({ urlPath: { path: pathMatcher(v) } }), 'paths');
  return andPerm(out);
}

function sourcePrincipal(src: Source, ctx: RuleContext): Principal {
  const out: Principal[] = [];
  const field = (values: readonly string[] | undefined, notValues: readonly string[] | undefined, one: (v: string) => Principal, httpOnly?: string) => {
    if (!values?.length && !notValues?.length) return;
    if (httpOnly !== undefined && !keepHttpOnly(httpOnly, ctx)) return;
    if (values?.length) out.push(orId(values.map(one)));
    if (notValues?.length) out.push({ notId: orId(notValues.map(one)) });
  };
  const td = ctx.trustDomain;
  const aliased = (vs: readonly string[] | undefined) => (vs ? withTrustDomainAliases(vs, td) : undefined);
  field(aliased(src.principals), aliased(src.notPrincipals), (v) => ({ authenticated: { principalName: principalMatcher(v) } }));
  field(src.requestPrincipals, src.notRequestPrincipals, (v) => ({ metadata: authnMetadata([AuthnAttribute.Principal], { stringMatch: globMatcher(v) }) }), 'requestPrincipals');
  field(src.namespaces, src.notNamespaces, (v) => ({ authenticated: { principalName: namespaceMatcher(v) } }));
  field(src.trustDomains, src.notTrustDomains, (v) => ({ authenticated: { principalName: trustDomainMatcher(v) } }));
  field(src.serviceAccounts, src.notServiceAccounts, (v) => ({ authenticated: { principalName: serviceAccountMatcher(v, ctx.policyNamespace, td) } }));
  field(src.ipBlocks, src.notIpBlocks, (v) => ({ directRemoteIp: cidrRange(v) }));
  field(src.remoteIpBlocks, src.notRemoteIpBlocks, (v) => ({ remoteIp: cidrRange(v) }));
  return andId(out);
}

/** Converts one rule; throws {@link RuleError} when a `when` key cannot be converted. */
export function rulePolicy(rule: Rule, ctx: RuleContext): RbacPolicy {
  const perms: Permission[] = [];
  const ids: Principal[] = [];
  const ops = (rule.to ?? []).flatMap((t) => (t.operation ? [operationPermission(t.operation, ctx)] : []));
  if (ops.length > 0) perms.push(orPerm(ops));
  const srcs = (rule.from ?? []).flatMap((f) => (f.source ? [sourcePrincipal(f.source, ctx)] : []));
  if (srcs.length > 0) ids.push(orId(srcs));
  for (const c of rule.when ?? []) {
    const side = conditionSide(c.key, ctx);
    if (httpOnlyKey(c.key) && (c.values?.length || c.notValues?.length) && !keepHttpOnly(c.key, ctx)) continue;
    conditionPermissions(c, side, perms, ids);
  }
  return { permissions: [andPerm(perms)], principals: [andId(ids)] };
}

/** istiod's RBAC policy name for a rule: `ns[<ns>]-policy[<name>]-rule[<i>]` (CUSTOM: `istio-ext-authz-` first). */
export function rbacPolicyName(namespace: string, name: string, index: number, custom = false): string {
  return `${custom ? 'istio-ext-authz-' : ''}ns[${namespace}]-policy[${name}]-rule[${index}]`;
}
