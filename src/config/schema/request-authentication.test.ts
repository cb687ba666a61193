import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { jwksError, requestAuthenticationKind, type RequestAuthenticationSpec } from './request-authentication.js';
import { formatPath } from '../diagnostic.js';
import type { SchemaIssue, ValidationResult } from '../kind-info.js';

function validate(specYaml: string): ValidationResult<RequestAuthenticationSpec> {
  return requestAuthenticationKind.validate(parse(specYaml) ?? {}, { name: 'jwt', namespace: 'foo' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

const JWKS = JSON.stringify({ keys: [{ e: 'AQAB', kid: 'k1', kty: 'RSA', n: 'xAE7eB6qugXyCAG3yhh7pkDkT65pHymX' }] });
const rule = (extra: string) => `jwtRules:\n- issuer: "testing@secure.istio.io"\n${extra}`;

describe('RequestAuthentication: Istio JWT task examples', () => {
  it('accepts the jwt-example policy', () => {
    const r = validate(`selector:
  matchLabels:
    app: httpbin
jwtRules:
- issuer: "testing@secure.istio.io"
  jwksUri: "https://raw.githubusercontent.com/istio/istio/release-1.24/security/tools/jwt/samples/jwks.json"
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.jwtRules?.[0]?.issuer, 'testing@secure.istio.io');
  });
  it('accepts every JWTRule field', () => {
    const r = validate(`targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: ingress}
jwtRules:
- issuer: issuer-foo
  audiences: [bookstore_android.apps.example.com]
  jwks: '${JWKS}'
  fromHeaders: [{name: x-jwt-assertion, prefix: "Bearer "}]
  fromParams: [my_token]
  fromCookies: [session]
  outputPayloadToHeader: x-jwt-payload
  forwardOriginalToken: true
  outputClaimToHeaders: [{header: x-my-company-jwt-group, claim: my-group}]
  spaceDelimitedClaims: [scope]
  timeout: 5s
`);
    assert.deepEqual(r.issues, []);
  });
  it('maps the proto field name jwks_uri to jwksUri', () => {
    const r = validate(rule('  jwks_uri: https://example.com/jwks.json\n'));
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.jwtRules?.[0]?.jwksUri, 'https://example.com/jwks.json');
    assert.ok(!('jwks_uri' in (r.spec?.jwtRules?.[0] ?? {})));
  });
  it('accepts jwksUri without an issuer, as Istio does', () => {
    assert.deepEqual(validate('jwtRules:\n- jwksUri: http://jwks.example.com/keys\n').issues, []);
  });
});

describe('RequestAuthentication: checks', () => {
  it('requires an issuer or jwksUri', () => {
    assertIssue(validate('jwtRules:\n- audiences: [a]\n'), 'spec.jwtRules[0].issuer', 'issuer or jwksUri must be non-empty');
  });
  it('rejects an empty issuer and audience', () => {
    assertIssue(validate('jwtRules:\n- issuer: ""\n'), 'spec.jwtRules[0].issuer', 'non-empty');
    assertIssue(validate(rule('  audiences: [""]\n')), 'spec.jwtRules[0].audiences[0]', 'audience must be a non-empty');
  });
  it('rejects a jwksUri that is not http(s)', () => {
    assertIssue(validate(rule('  jwksUri: ftp://example.com/jwks\n')), 'spec.jwtRules[0].jwksUri', 'http:// or https://');
    assertIssue(validate(rule('  jwksUri: example.com/jwks\n')), 'spec.jwtRules[0].jwksUri', 'http:// or https://');
  });
  it('rejects jwks that is not a JSON Web Key Set', () => {
    assertIssue(validate(rule('  jwks: "{not json"\n')), 'spec.jwtRules[0].jwks', 'jwks parse error');
    assertIssue(validate(rule(`  jwks: '{"keys":[{"kid":"x"}]}'\n`)), 'spec.jwtRules[0].jwks', 'keys[0]');
  });
  it('rejects jwks together with jwksUri', () => {
    assertIssue(validate(rule(`  jwks: '${JWKS}'\n  jwksUri: https://example.com/jwks\n`)), 'spec.jwtRules[0].jwks', 'only one of jwks or jwksUri');
  });
  it('rejects a bad outputClaimToHeaders header name', () => {
    assertIssue(validate(rule('  outputClaimToHeaders: [{header: "x bad", claim: sub}]\n')), 'spec.jwtRules[0].outputClaimToHeaders[0].header', 'must match');
  });
  it('rejects empty header, param and cookie locations', () => {
    assertIssue(validate(rule('  fromHeaders: [{name: ""}]\n')), 'spec.jwtRules[0].fromHeaders[0].name', 'location header name');
    assertIssue(validate(rule('  fromParams: [""]\n')), 'spec.jwtRules[0].fromParams[0]', 'location query');
    assertIssue(validate(rule('  fromCookies: [""]\n')), 'spec.jwtRules[0].fromCookies[0]', 'cookie name');
  });
  it('rejects a timeout below 1ms and a malformed one', () => {
    assertIssue(validate(rule('  timeout: 0s\n')), 'spec.jwtRules[0].timeout', 'greater than 1ms');
    assertIssue(validate(rule('  timeout: soon\n')), 'spec.jwtRules[0].timeout', 'invalid duration');
  });
  it('rejects selector together with targetRef', () => {
    assertIssue(validate('selector: {matchLabels: {app: a}}\ntargetRef: {kind: Service, name: a}\n'), 'spec.targetRef', 'only one of targetRefs or selector');
  });
  it('rejects a targetRef to an unsupported kind or another namespace', () => {
    assertIssue(validate('targetRef: {kind: Deployment, group: apps, name: a}\n'), 'spec.targetRef.kind', 'targetRef must be to one of');
    assertIssue(validate('targetRefs: [{kind: Service, name: a, namespace: other}]\n'), 'spec.targetRefs[0].namespace', 'cross namespace');
  });
  it('rejects unknown JWT rule fields', () => {
    assertIssue(validate(rule('  jwksURI: https://example.com\n')), 'spec.jwtRules[0].jwksURI', 'unknown field');
  });
});

describe('jwksError', () => {
  it('accepts a single key and a key set', () => {
    assert.equal(jwksError('{"kty":"EC","crv":"P-256","x":"a","y":"b"}'), undefined);
    assert.equal(jwksError(JWKS), undefined);
  });
  it('rejects non-objects', () => {
    assert.match(jwksError('[1]') ?? '', /JSON object/);
  });
});
