/** Peer checks beyond the chain: SAN matchers and the trust-domain rule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { compilePeerCheck, PeerVerifyErrorCode } from './peer-verification.js';

const cert = (san: string) => ({ subjectaltname: san }) as PeerCertificate;
const code = (e: Error | undefined) => (e as { code?: string } | undefined)?.code;

test('exact SAN matchers accept listed identities only', () => {
  const check = compilePeerCheck({ matchSubjectAltNames: [{ exact: 'spiffe://cluster.local/ns/default/sa/reviews' }] }, 'cluster.local');
  assert.equal(check(cert('URI:spiffe://cluster.local/ns/default/sa/reviews')), undefined);
  assert.equal(code(check(cert('URI:spiffe://cluster.local/ns/default/sa/ratings'))), PeerVerifyErrorCode.SanMismatch);
});

test('the trust domain is checked for mesh mTLS even without SAN matchers', () => {
  const check = compilePeerCheck({}, 'cluster.local');
  assert.equal(check(cert('URI:spiffe://cluster.local/ns/a/sa/b')), undefined);
  assert.equal(code(check(cert('URI:spiffe://evil.example/ns/a/sa/b'))), PeerVerifyErrorCode.TrustDomain);
  assert.equal(code(check(cert('DNS:cluster.local'))), PeerVerifyErrorCode.TrustDomain);
});

test('typed matchers respect the SAN type; prefix matchers work', () => {
  const check = compilePeerCheck({ matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { suffix: '.corp.example' } }] }, undefined);
  assert.equal(check(cert('DNS:api.corp.example')), undefined);
  assert.equal(code(check(cert('URI:spiffe://api.corp.example'))), PeerVerifyErrorCode.SanMismatch);
  const prefix = compilePeerCheck({ matchSubjectAltNames: [{ prefix: 'spiffe://cluster.local/' }] }, undefined);
  assert.equal(prefix(cert('URI:spiffe://cluster.local/ns/x/sa/y')), undefined);
});

test('an exact matcher accepts a wildcard DNS SAN covering it (Envoy StringSanMatcher); URIs stay exact', () => {
  const check = compilePeerCheck({ matchSubjectAltNames: [{ exact: 'api.corp.example' }] }, undefined);
  assert.equal(check(cert('DNS:*.corp.example')), undefined);
  assert.equal(code(check(cert('DNS:*.example'))), PeerVerifyErrorCode.SanMismatch);
  assert.equal(code(check(cert('URI:*.corp.example'))), PeerVerifyErrorCode.SanMismatch);
});

test('a SAN list override (auto SAN validation) replaces the configured matchers', () => {
  const check = compilePeerCheck({ matchSubjectAltNames: [{ exact: 'configured.example' }] }, undefined, ['api.corp.example']);
  assert.equal(check(cert('DNS:api.corp.example')), undefined);
  assert.equal(check(cert('DNS:other.example, DNS:*.corp.example')), undefined);
  assert.equal(code(check(cert('DNS:configured.example'))), PeerVerifyErrorCode.SanMismatch);
  assert.equal(code(check(cert(''))), PeerVerifyErrorCode.SanMismatch);
  const ip = compilePeerCheck({}, undefined, ['127.0.0.9']);
  assert.equal(ip(cert('IP Address:127.0.0.9')), undefined);
  assert.equal(code(ip(cert('DNS:127.0.0.9.example'))), PeerVerifyErrorCode.SanMismatch);
});
