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
