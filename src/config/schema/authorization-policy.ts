/**
 * AuthorizationPolicy (security.istio.io v1beta1, v1): who may do what on a workload. Checks follow
 * Istio's webhook (`ValidateAuthorizationPolicy` and `pkg/config/security`): CUSTOM needs a provider
 * and rules, DENY needs rules, empty `from`/`to` entries, IP blocks, ports, service accounts, path
 * templates and `when` keys; plus the CRD's limits. Where Istio silently treats a value literally
 * (a `*` in the middle of a glob), Weft warns instead of rejecting what Istio accepts.
 */
import { z } from 'zod';
import { defineKind, workloadSelector, type IssueSink } from './common.js';
import { checkPolicyScope, policyTargetReference, policyTargetReferences, SCHEMA_WARNING } from './peer-authentication.js';
import { isIPv4, isIPv6 } from 'node:net';

const strings = z.array(z.string());
const serviceAccounts = z.array(z.string().max(320, 'a service account must be at most 320 characters')).max(16, 'may not have more than 16 values');

const sourceSchema = z.strictObject({
  principals: strings.optional(),
  notPrincipals: strings.optional(),
  requestPrincipals: strings.optional(),
  notRequestPrincipals: strings.optional(),
  namespaces: strings.optional(),
  notNamespaces: strings.optional(),
  /** Istio 1.29+: trust domains of the peer's SPIFFE identity (`*` alone, or one `*` inside). */
  trustDomains: strings.optional(),
  notTrustDomains: strings.optional(),
  serviceAccounts: serviceAccounts.optional(),
  notServiceAccounts: serviceAccounts.optional(),
  ipBlocks: strings.optional(),
  notIpBlocks: strings.optional(),
  remoteIpBlocks: strings.optional(),
  notRemoteIpBlocks: strings.optional(),
});
/** Where a request comes from; fields AND together, values inside one field OR. */
export type Source = z.infer<typeof sourceSchema>;

const operationSchema = z.strictObject({
  hosts: strings.optional(),
  notHosts: strings.optional(),
  ports: strings.optional(),
  notPorts: strings.optional(),
  methods: strings.optional(),
  notMethods: strings.optional(),
  paths: strings.optional(),
  notPaths: strings.optional(),
});
/** What a request does. */
export type Operation = z.infer<typeof operationSchema>;

const conditionSchema = z.strictObject({
  key: z.string(),
  values: strings.optional(),
  notValues: strings.optional(),
});
/** An extra condition on an Istio attribute (`request.headers[x]`, `source.ip`, …). */
export type Condition = z.infer<typeof conditionSchema>;

const ruleSchema = z.strictObject({
  from: z.array(z.strictObject({ source: sourceSchema.optional() })).max(512, 'at most 512 from entries are allowed').optional(),
  to: z.array(z.strictObject({ operation: operationSchema.optional() })).optional(),
  when: z.array(conditionSchema).optional(),
});
/** One rule: from AND to AND when; an empty rule `{}` matches every request. */
export type Rule = z.infer<typeof ruleSchema>;

/** What a matching policy does. */
export const authorizationAction = z.enum(['ALLOW', 'DENY', 'AUDIT', 'CUSTOM']);
/** One action. */
export type AuthorizationAction = z.infer<typeof authorizationAction>;

const authorizationPolicySchema = z.strictObject({
  selector: workloadSelector.optional(),
  targetRef: policyTargetReference.optional(),
  targetRefs: policyTargetReferences.optional(),
  action: authorizationAction.optional(),
  provider: z.strictObject({ name: z.string().optional() }).optional(),
  rules: z.array(ruleSchema).max(512, 'at most 512 rules are allowed').optional(),
});
/** The content of an AuthorizationPolicy (`action` absent means ALLOW). */
export type AuthorizationPolicySpec = z.infer<typeof authorizationPolicySchema>;

type Path = (string | number)[];

const SOURCE_FIELDS = Object.keys(sourceSchema.shape) as (keyof Source)[];
const OPERATION_FIELDS = Object.keys(operationSchema.shape) as (keyof Operation)[];
const GLOB_FIELDS = new Set<string>([
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'hosts', 'notHosts', 'paths', 'notPaths',
]);
const CUSTOM_UNSUPPORTED_SOURCE: readonly (keyof Source)[] = [
  'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'trustDomains', 'notTrustDomains',
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals',
];

/**
 * Istio matches `*` only as a whole value, a prefix or a suffix; any other `*` is compared literally.
 * Returns true when `value` uses `*` somewhere Istio would not treat as a wildcard.
 */
export function hasLiteralStar(value: string): boolean {
  if (value === '*') return false;
  const rest = value.startsWith('*') ? value.slice(1) : value.endsWith('*') ? value.slice(0, -1) : value;
  return rest.includes('*');
}

/** Returns an error unless `v` is an IP address or CIDR block, as Go's netip parses them. */
export function ipOrCidrError(v: string): string | undefined {
  const slash = v.indexOf('/');
  if (slash < 0) return isIPv4(v) || isIPv6(v) ? undefined : `bad IP address (${v})`;
  const addr = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  const max = isIPv4(addr) ? 32 : isIPv6(addr) && !addr.includes('%') ? 128 : -1;
  if (max < 0) return `bad CIDR range (${v}): bad address`;
  if (!/^(0|[1-9][0-9]*)$/.test(bits) || Number(bits) > max) return `bad CIDR range (${v}): bad prefix length`;
  return undefined;
}

function checkIps(values: readonly string[], sink: IssueSink, path: Path): void {
  values.forEach((v, i) => {
    const e = v === '' ? undefined : ipOrCidrError(v);
    if (e) sink.error([...path, i], e);
  });
}

function checkPorts(values: readonly string[], sink: IssueSink, path: Path): void {
  values.forEach((v, i) => {
    if (!/^[0-9]+$/.test(v) || Number(v) > 65535) sink.error([...path, i], `bad port (${v}): must be a number in 0-65535`);
    else if (Number(v) === 0) sink.warn([...path, i], 'port 0 never matches a request', SCHEMA_WARNING);
  });
}

function checkServiceAccounts(field: string, values: readonly string[], sink: IssueSink, path: Path, reportEmpty = true): void {
  if (values.length > 16) sink.error(path, 'may not have more than 16 values');
  values.forEach((v, i) => {
    const p = [...path, i];
    if (v === '') {
      if (reportEmpty) sink.error(p, `empty value not allowed, found in ${field}`);
    } else if (v.includes('*')) sink.error(p, `wildcard not allowed, found in ${field}`);
    else if (v.split('/').length > 2) sink.error(p, `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${v}" in ${field}`);
    else if (v.startsWith('/')) sink.error(p, `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace "${v}" in ${field}`);
    else if (v.endsWith('/')) sink.error(p, `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount "${v}" in ${field}`);
  });
}

const MATCH_ONE = '{*}';
const MATCH_ANY = '{**}';
const PATH_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/** True when a path uses Istio's path templates (`{*}` one segment, `{**}` the rest). */
export function isPathTemplate(path: string): boolean {
  return path.includes(MATCH_ONE) || path.includes(MATCH_ANY);
}

/** Returns an error for an unsupported path template (Istio's `CheckValidPathTemplate`), else undefined. */
export function pathTemplateError(path: string): string | undefined {
  const template = isPathTemplate(path);
  let sawAny = false;
  for (const seg of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if (seg === MATCH_ONE || seg === MATCH_ANY) {
      if (sawAny) return `invalid or unsupported path ${path}: {**} is not the last operator`;
      sawAny = seg === MATCH_ANY;
      continue;
    }
    if (seg.includes('{') || seg.includes('}')) return `invalid or unsupported path ${path}: contains '{' or '}' beyond a supported path template`;
    if (template && !PATH_LITERAL.test(seg)) return `invalid or unsupported path ${path}: contains segment ${seg} with invalid string literal`;
  }
  return undefined;
}

function checkPathTemplates(values: readonly string[], sink: IssueSink, path: Path): void {
  values.forEach((v, i) => {
    const e = pathTemplateError(v);
    if (e) sink.error([...path, i], e);
  });
}

function mapKeyError(key: string): string | undefined {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2 ? undefined : `bad key (${key}): should have format a[b]`;
}

/** How Istio validates a `when` key: an error for keys it rejects, and which value check applies. */
function attributeRule(key: string): { error?: string; values?: 'ip' | 'port' | 'serviceAccount' } {
  const exact: Record<string, 'ip' | 'port' | 'serviceAccount' | 'any'> = {
    'source.ip': 'ip', 'remote.ip': 'ip', 'destination.ip': 'ip', 'destination.port': 'port',
    'source.namespace': 'any', 'source.serviceAccount': 'serviceAccount', 'source.principal': 'any', 'source.trustDomain': 'any',
    'request.auth.principal': 'any', 'request.auth.audiences': 'any', 'request.auth.presenter': 'any', 'connection.sni': 'any',
  };
  const kind = exact[key];
  if (kind) return kind === 'any' ? {} : { values: kind };
  for (const prefix of ['request.headers', 'request.experimental.inline.headers', 'request.auth.claims', 'experimental.envoy.filters.']) {
    if (key.startsWith(prefix)) return { error: mapKeyError(key) };
  }
  if (key === 'destination.namespace') return { error: `attribute ${key} is replaced by the metadata.namespace` };
  if (key.startsWith('destination.labels')) return { error: `attribute ${key} is replaced by the workload selector` };
  if (key === 'destination.name' || key === 'destination.user') return { error: `deprecated attribute ${key}: only supported in v1alpha1` };
  return { error: `unknown attribute: ${key}` };
}

function checkCondition(cond: Condition, sink: IssueSink, path: Path): void {
  const rule = attributeRule(cond.key);
  if (rule.error) sink.error([...path, 'key'], rule.error);
  for (const field of ['values', 'notValues'] as const) {
    const values = cond[field];
    if (!values) continue;
    const p = [...path, field];
    values.forEach((v, i) => {
      if (v === '') sink.error([...p, i], `empty value not allowed, found in ${cond.key}`);
    });
    if (rule.values === 'ip') checkIps(values, sink, p);
    else if (rule.values === 'port') checkPorts(values, sink, p);
    else if (rule.values === 'serviceAccount') checkServiceAccounts(cond.key, values, sink, p, false);
  }
}

function checkValues(field: string, values: readonly string[], sink: IssueSink, path: Path): void {
  values.forEach((v, i) => {
    if (v === '') sink.error([...path, i], `empty value not allowed, found in ${field}`);
    else if (GLOB_FIELDS.has(field) && hasLiteralStar(v) && !isPathTemplate(v)) {
      sink.warn([...path, i], `"${v}": "*" matches only as a prefix, a suffix or alone; here it is compared literally`, SCHEMA_WARNING);
    }
  });
}

function checkSource(src: Source, custom: boolean, sink: IssueSink, path: Path): boolean {
  const set = SOURCE_FIELDS.filter((f) => src[f] !== undefined);
  if (set.every((f) => src[f]!.length === 0)) sink.error(path, '`from.source` must not be empty');
  const hasSa = src.serviceAccounts !== undefined || src.notServiceAccounts !== undefined;
  if (hasSa && (['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const).some((f) => src[f] !== undefined)) {
    sink.error(path, 'cannot set serviceAccounts with namespaces or principals');
  }
  for (const f of set) {
    const p = [...path, f];
    if (f === 'serviceAccounts' || f === 'notServiceAccounts') checkServiceAccounts(f, src[f]!, sink, p);
    else checkValues(f, src[f]!, sink, p);
    if (f.endsWith('pBlocks')) checkIps(src[f]!, sink, p);
    // Istio's CheckTrustDomainValues (pkg/config/security): no '/' in a trust domain.
    if (f === 'trustDomains' || f === 'notTrustDomains') {
      const key = f === 'trustDomains' ? 'TrustDomains' : 'NotTrustDomains';
      src[f]!.forEach((v, i) => v.includes('/') && sink.error([...p, i], `trust domain must not contain '/', found in ${key}: ${JSON.stringify(v)}`));
    }
    if (custom && CUSTOM_UNSUPPORTED_SOURCE.includes(f)) sink.error(p, `${f} is currently not supported with CUSTOM action`);
  }
  // Everything but request principals is known for plain TCP traffic.
  return set.some((f) => f !== 'requestPrincipals' && f !== 'notRequestPrincipals');
}

function checkOperation(op: Operation, sink: IssueSink, path: Path): boolean {
  const set = OPERATION_FIELDS.filter((f) => op[f] !== undefined);
  if (set.every((f) => op[f]!.length === 0)) sink.error(path, '`to.operation` must not be empty');
  for (const f of set) {
    const p = [...path, f];
    checkValues(f, op[f]!, sink, p);
    if (f === 'ports' || f === 'notPorts') checkPorts(op[f]!, sink, p);
    if (f === 'paths' || f === 'notPaths') checkPathTemplates(op[f]!, sink, p);
  }
  return op.ports !== undefined || op.notPorts !== undefined;
}

function checkRule(rule: Rule, action: AuthorizationAction, sink: IssueSink, path: Path): void {
  const custom = action === 'CUSTOM';
  // On TCP ports a DENY rule's HTTP attributes are dropped (istiod's Generate(forTCP), Weft's
  // network RBAC): a source or operation left without a TCP attribute matches every connection.
  let someFromWithoutTcp = false;
  let someToWithoutTcp = false;
  let httpAttribute = false;
  let tcpInWhen = false;
  if (rule.from !== undefined && rule.from.length === 0) sink.error([...path, 'from'], '`from` must not be empty');
  rule.from?.forEach((from, j) => {
    if (from.source === undefined) sink.error([...path, 'from', j], '`from.source` must not be nil');
    else {
      if (!checkSource(from.source, custom, sink, [...path, 'from', j, 'source'])) someFromWithoutTcp = true;
      if (from.source.requestPrincipals !== undefined || from.source.notRequestPrincipals !== undefined) httpAttribute = true;
    }
  });
  if (rule.to !== undefined && rule.to.length === 0) sink.error([...path, 'to'], '`to` must not be empty');
  rule.to?.forEach((to, j) => {
    if (to.operation === undefined) sink.error([...path, 'to', j], '`to.operation` must not be nil');
    else {
      if (!checkOperation(to.operation, sink, [...path, 'to', j, 'operation'])) someToWithoutTcp = true;
      const op = to.operation;
      if ([op.hosts, op.notHosts, op.methods, op.notMethods, op.paths, op.notPaths].some((v) => v !== undefined)) httpAttribute = true;
    }
  });
  rule.when?.forEach((cond, j) => {
    const p = [...path, 'when', j];
    if (cond.key === '') {
      sink.error([...p, 'key'], '`key` must not be empty');
      return;
    }
    if (!cond.values?.length && !cond.notValues?.length) {
      sink.error(p, `at least one of \`values\` or \`notValues\` must be set for key ${cond.key}`);
    }
    checkCondition(cond, sink, p);
    if (cond.key.startsWith('request.')) httpAttribute = true;
    else tcpInWhen = true;
    if (custom && (['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(cond.key) || cond.key.startsWith('request.auth.'))) {
      sink.error([...p, 'key'], `${cond.key} is currently not supported with CUSTOM action`);
    }
  });
  const fromExists = rule.from?.some((f) => f.source !== undefined) ?? false;
  const toExists = rule.to?.some((t) => t.operation !== undefined) ?? false;
  // Istio's warning, given exactly when the rule then matches every TCP connection.
  if (action === 'DENY' && httpAttribute && (!fromExists || someFromWithoutTcp) && (!toExists || someToWithoutTcp) && !tcpInWhen) {
    sink.warn(path, 'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only ' +
      'HTTP attributes in a DENY rule (on TCP ports they are dropped, so the rule matches every connection); ' +
      'it is recommended to explicitly specify the port', SCHEMA_WARNING);
  }
}

function checkAuthorizationPolicy(spec: AuthorizationPolicySpec, sink: IssueSink): void {
  checkPolicyScope(spec, sink);
  const action = spec.action ?? 'ALLOW';
  if (action === 'CUSTOM') {
    if (spec.rules === undefined) {
      sink.error(['rules'], 'CUSTOM action without `rules` is meaningless as it will never be triggered, ' +
        'add an empty rule `{}` if you want it be triggered for every request');
    } else if (!spec.provider?.name) {
      sink.error(['provider', 'name'], '`provider.name` must not be empty');
    }
  } else if (spec.provider !== undefined) {
    sink.error(['provider'], `\`provider\` must not be with non CUSTOM action, found ${action}`);
  }
  if (action === 'DENY' && spec.rules === undefined) {
    sink.error(['rules'], 'DENY action without `rules` is meaningless as it will never be triggered, ' +
      'add an empty rule `{}` if you want it be triggered for every request');
  }
  spec.rules?.forEach((rule, i) => checkRule(rule, action, sink, ['rules', i]));
}

/** AuthorizationPolicy, security.istio.io. */
export const authorizationPolicyKind = defineKind<AuthorizationPolicySpec>({
  kind: 'AuthorizationPolicy',
  group: 'security.istio.io',
  versions: ['v1beta1', 'v1'],
  plural: 'authorizationpolicies',
  namespaced: true,
  schema: authorizationPolicySchema,
  check: checkAuthorizationPolicy,
});
