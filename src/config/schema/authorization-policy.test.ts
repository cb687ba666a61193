import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { authorizationPolicyKind, hasLiteralStar, ipOrCidrError, pathTemplateError, type AuthorizationPolicySpec } from './authorization-policy.js';
import { formatPath } from '../diagnostic.js';
import type { SchemaIssue, ValidationResult } from '../kind-info.js';

function validate(specYaml: string): ValidationResult<AuthorizationPolicySpec> {
  return authorizationPolicyKind.validate(parse(specYaml) ?? {}, { name: 'ap', namespace: 'foo' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

const errors = (r: ValidationResult<unknown>) => r.issues.filter((i) => i.level === 'Error');
const withSource = (src: string) => `rules:\n- from:\n  - source:\n      ${src}\n`;
const withOperation = (op: string) => `rules:\n- to:\n  - operation:\n      ${op}\n`;
const withWhen = (cond: string) => `rules:\n- when:\n  - ${cond}\n`;

describe('AuthorizationPolicy: Istio authorization task examples', () => {
  const valid: Record<string, string> = {
    'allow-nothing': '{}',
    'productpage-viewer': 'selector:\n  matchLabels:\n    app: productpage\naction: ALLOW\nrules:\n- to:\n  - operation:\n      methods: ["GET"]\n',
    'details-viewer': `selector:
  matchLabels:
    app: details
action: ALLOW
rules:
- from:
  - source:
      principals: ["cluster.local/ns/default/sa/bookinfo-productpage"]
  to:
  - operation:
      methods: ["GET"]
`,
    'deny-method-get with when': `selector:
  matchLabels:
    app: httpbin
action: DENY
rules:
- to:
  - operation:
      methods: ["GET"]
  when:
  - key: request.headers[x-token]
    notValues: ["admin"]
`,
    'allow-path-ip': `selector:
  matchLabels:
    app: httpbin
action: ALLOW
rules:
- from:
  - source:
      ipBlocks: ["1.2.3.4", "5.6.7.0/24"]
  to:
  - operation:
      paths: ["/ip"]
`,
    'frontend-ingress': 'selector:\n  matchLabels:\n    istio: ingressgateway\naction: DENY\nrules:\n- from:\n  - source:\n      notRequestPrincipals: ["*"]\n',
    'require-jwt': `selector:
  matchLabels:
    app: httpbin
action: ALLOW
rules:
- from:
  - source:
      requestPrincipals: ["testing@secure.istio.io/testing@secure.istio.io"]
  when:
  - key: request.auth.claims[groups]
    values: ["group1"]
`,
    'ext-authz CUSTOM': 'selector:\n  matchLabels:\n    app: httpbin\naction: CUSTOM\nprovider:\n  name: sample-ext-authz-grpc\nrules:\n- to:\n  - operation:\n      paths: ["/headers"]\n',
    'tcp ports and namespaces': `action: ALLOW
rules:
- from:
  - source:
      namespaces: ["foo"]
      remoteIpBlocks: ["2001:db8::/32"]
  to:
  - operation:
      ports: ["9000", "9001"]
      hosts: ["*.example.com"]
      paths: ["/api/{*}/info", "/static/{**}"]
`,
    'audit': 'action: AUDIT\nrules:\n- to:\n  - operation:\n      paths: ["/data/*"]\n',
    'serviceAccounts': 'rules:\n- from:\n  - source:\n      serviceAccounts: ["default/sleep", "curl"]\n',
  };
  for (const [name, yaml] of Object.entries(valid)) {
    it(`accepts ${name}`, () => {
      const r = validate(yaml);
      assert.deepEqual(errors(r), []);
      assert.ok(r.spec);
    });
  }
  it('warns, as Istio does, that a DENY rule with only HTTP attributes denies all TCP traffic', () => {
    assertIssue(validate(valid['deny-method-get with when']!), 'spec.rules[0]', 'deny all traffic to TCP ports', 'Warning');
  });
  it('gives that warning exactly when the DENY rule then matches every TCP connection (HTTP attributes dropped)', () => {
    const tcpWarning = (spec: string) => validate(`action: DENY\nrules: [${spec}]`).issues.some((i) => i.message.includes('deny all traffic to TCP ports'));
    assert.equal(tcpWarning('{when: [{key: "request.headers[x-token]", values: [a]}]}'), true);
    assert.equal(tcpWarning('{from: [{source: {requestPrincipals: ["*"]}}]}'), true);
    assert.equal(tcpWarning('{from: [{source: {namespaces: [a]}}, {source: {requestPrincipals: ["*"]}}]}'), true);
    assert.equal(tcpWarning('{from: [{source: {namespaces: [a]}}], to: [{operation: {methods: [GET]}}]}'), false);
    assert.equal(tcpWarning('{to: [{operation: {methods: [GET], ports: ["80"]}}]}'), false);
    assert.equal(tcpWarning('{to: [{operation: {methods: [GET]}}], when: [{key: destination.port, values: ["80"]}]}'), false);
    assert.equal(tcpWarning('{}'), false);
  });
});

describe('AuthorizationPolicy: action and provider', () => {
  it('rejects an unknown action', () => {
    assertIssue(validate('action: REJECT'), 'spec.action', 'expected one of');
  });
  it('requires a provider for CUSTOM', () => {
    assertIssue(validate('action: CUSTOM\nrules: [{}]\n'), 'spec.provider.name', '`provider.name` must not be empty');
  });
  it('requires rules for CUSTOM and DENY', () => {
    assertIssue(validate('action: CUSTOM\nprovider: {name: ext}\n'), 'spec.rules', 'CUSTOM action without `rules`');
    assertIssue(validate('action: DENY\n'), 'spec.rules', 'DENY action without `rules`');
  });
  it('rejects a provider on a non-CUSTOM action', () => {
    assertIssue(validate('provider: {name: ext}\nrules: [{}]\n'), 'spec.provider', 'must not be with non CUSTOM action, found ALLOW');
  });
  it('rejects principals and request.auth conditions with CUSTOM', () => {
    const base = 'action: CUSTOM\nprovider: {name: ext}\n';
    assertIssue(validate(base + withSource('principals: ["a"]')), 'spec.rules[0].from[0].source.principals', 'not supported with CUSTOM');
    assertIssue(validate(base + withWhen('{key: request.auth.principal, values: [a]}')), 'spec.rules[0].when[0].key', 'not supported with CUSTOM');
  });
  it('rejects selector with targetRefs', () => {
    assertIssue(validate('selector: {matchLabels: {app: a}}\ntargetRefs: [{kind: Service, name: a}]\n'), 'spec.targetRefs', 'only one of');
  });
});

describe('AuthorizationPolicy: rules', () => {
  it('rejects empty from and to lists', () => {
    assertIssue(validate('rules:\n- from: []\n'), 'spec.rules[0].from', '`from` must not be empty');
    assertIssue(validate('rules:\n- to: []\n'), 'spec.rules[0].to', '`to` must not be empty');
  });
  it('rejects a from without source and a to without operation', () => {
    assertIssue(validate('rules:\n- from: [{}]\n'), 'spec.rules[0].from[0]', '`from.source` must not be nil');
    assertIssue(validate('rules:\n- to: [{}]\n'), 'spec.rules[0].to[0]', '`to.operation` must not be nil');
  });
  it('rejects an empty source and an empty operation', () => {
    assertIssue(validate(withSource('principals: []')), 'spec.rules[0].from[0].source', '`from.source` must not be empty');
    assertIssue(validate('rules:\n- to:\n  - operation: {}\n'), 'spec.rules[0].to[0].operation', '`to.operation` must not be empty');
  });
  it('rejects empty values', () => {
    assertIssue(validate(withSource('principals: [""]')), 'spec.rules[0].from[0].source.principals[0]', 'empty value not allowed');
    assertIssue(validate(withOperation('methods: [""]')), 'spec.rules[0].to[0].operation.methods[0]', 'empty value not allowed');
  });
  it('rejects bad IP blocks', () => {
    assertIssue(validate(withSource('ipBlocks: ["1.2.3.400"]')), 'spec.rules[0].from[0].source.ipBlocks[0]', 'bad IP address');
    assertIssue(validate(withSource('notRemoteIpBlocks: ["10.0.0.0/33"]')), 'spec.rules[0].from[0].source.notRemoteIpBlocks[0]', 'bad CIDR range');
  });
  it('rejects non-numeric and out-of-range ports', () => {
    assertIssue(validate(withOperation('ports: ["http"]')), 'spec.rules[0].to[0].operation.ports[0]', 'bad port');
    assertIssue(validate(withOperation('notPorts: ["65536"]')), 'spec.rules[0].to[0].operation.notPorts[0]', 'bad port');
  });
  it('rejects serviceAccounts mixed with principals, wildcards and bad forms', () => {
    assertIssue(validate(withSource('serviceAccounts: ["a"]\n      namespaces: ["b"]')), 'spec.rules[0].from[0].source', 'cannot set serviceAccounts with namespaces or principals');
    assertIssue(validate(withSource('serviceAccounts: ["ns/*"]')), 'spec.rules[0].from[0].source.serviceAccounts[0]', 'wildcard not allowed');
    assertIssue(validate(withSource('serviceAccounts: ["a/b/c"]')), 'spec.rules[0].from[0].source.serviceAccounts[0]', "expected format 'serviceAccount'");
  });
  it('rejects unsupported path templates', () => {
    assertIssue(validate(withOperation('paths: ["/{**}/x/{*}"]')), 'spec.rules[0].to[0].operation.paths[0]', '{**} is not the last operator');
    assertIssue(validate(withOperation('paths: ["/{name}/x"]')), 'spec.rules[0].to[0].operation.paths[0]', "'{' or '}'");
  });
  it('warns where a * is compared literally', () => {
    assertIssue(validate(withSource('principals: ["cluster.local/ns/*/sa/x"]')), 'spec.rules[0].from[0].source.principals[0]', 'compared literally', 'Warning');
    assertIssue(validate(withOperation('paths: ["/a/*/b"]')), 'spec.rules[0].to[0].operation.paths[0]', 'compared literally', 'Warning');
  });
});

describe('AuthorizationPolicy: when conditions', () => {
  it('accepts every key Istio recognizes', () => {
    const keys: [string, string][] = [
      ['request.headers[User-Agent]', 'curl'], ['source.ip', '10.0.0.0/8'], ['remote.ip', '1.2.3.4'], ['source.namespace', 'foo'],
      ['source.principal', 'cluster.local/ns/foo/sa/bar'], ['request.auth.principal', 'iss/sub'], ['request.auth.audiences', 'aud'],
      ['request.auth.presenter', 'app'], ['request.auth.claims[iss]', 'x'], ['destination.ip', '10.1.2.3'], ['destination.port', '8080'],
      ['connection.sni', 'www.example.com'], ['experimental.envoy.filters.network.mysql_proxy[db.table]', '[update]'],
      ['source.serviceAccount', 'foo/bar'],
    ];
    for (const [key, value] of keys) assert.deepEqual(errors(validate(withWhen(`{key: "${key}", values: ["${value}"]}`))), [], key);
  });
  it('rejects unknown and retired keys', () => {
    assertIssue(validate(withWhen('{key: request.host, values: [a]}')), 'spec.rules[0].when[0].key', 'unknown attribute: request.host');
    assertIssue(validate(withWhen('{key: "destination.labels[app]", values: [a]}')), 'spec.rules[0].when[0].key', 'replaced by the workload selector');
    assertIssue(validate(withWhen('{key: destination.namespace, values: [a]}')), 'spec.rules[0].when[0].key', 'replaced by the metadata.namespace');
  });
  it('rejects map keys without a name in brackets', () => {
    assertIssue(validate(withWhen('{key: "request.headers[]", values: [a]}')), 'spec.rules[0].when[0].key', 'should have format a[b]');
    assertIssue(validate(withWhen('{key: request.auth.claims, values: [a]}')), 'spec.rules[0].when[0].key', 'should have format a[b]');
  });
  it('requires values or notValues, and a key', () => {
    assertIssue(validate(withWhen('{key: source.ip}')), 'spec.rules[0].when[0]', 'at least one of `values` or `notValues`');
    assertIssue(validate(withWhen('{key: "", values: [a]}')), 'spec.rules[0].when[0].key', '`key` must not be empty');
    assertIssue(validate(withWhen('{values: [a]}')), 'spec.rules[0].when[0].key', 'expected string');
  });
  it('checks IP, port and service account values', () => {
    assertIssue(validate(withWhen('{key: source.ip, values: [not-an-ip]}')), 'spec.rules[0].when[0].values[0]', 'bad IP address');
    assertIssue(validate(withWhen('{key: destination.port, notValues: ["99999"]}')), 'spec.rules[0].when[0].notValues[0]', 'bad port');
    assertIssue(validate(withWhen('{key: source.serviceAccount, values: ["", "ns/*"]}')), 'spec.rules[0].when[0].values[1]', 'wildcard not allowed');
  });
});

describe('helpers', () => {
  it('hasLiteralStar', () => {
    assert.equal(hasLiteralStar('*'), false);
    assert.equal(hasLiteralStar('*.example.com'), false);
    assert.equal(hasLiteralStar('/api/*'), false);
    assert.equal(hasLiteralStar('a*b'), true);
    assert.equal(hasLiteralStar('*a*'), true);
  });
  it('ipOrCidrError', () => {
    assert.equal(ipOrCidrError('::1'), undefined);
    assert.equal(ipOrCidrError('10.0.0.0/8'), undefined);
    assert.match(ipOrCidrError('10.0.0.0/08') ?? '', /bad CIDR/);
    assert.match(ipOrCidrError('01.2.3.4') ?? '', /bad IP/);
  });
  it('pathTemplateError', () => {
    assert.equal(pathTemplateError('/foo/{*}/bar/{**}'), undefined);
    assert.match(pathTemplateError('/foo/{*}/b*r') ?? '', /invalid string literal/);
  });
});
