/**
 * The CSR service over real TLS on loopback: bootstrap tokens (single use, bound to one identity),
 * renewal with the current certificate, and refusals for identities the requester may not have.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { BootstrapTokens } from './bootstrap-token.js';
import { caFromRoot, createSelfSignedRoot } from './ca-store.js';
import { CsrServer, type IssuedRecord } from './csr-server.js';
import { createKeyAndCsr } from '../identity/csr.js';
import { requestCertificate, type CaEndpoint } from '../identity/csr-client.js';
import type { SecurityError } from '../errors.js';

const TD = 'cluster.local';
const SLEEP = { trustDomain: TD, namespace: 'default', serviceAccount: 'sleep' };
const SLEEP_URI = 'spiffe://cluster.local/ns/default/sa/sleep';
let server: CsrServer;
let tokens: BootstrapTokens;
/** Added to the tokens' clock: a test moves time forward instead of sleeping. */
let clockSkewMs = 0;
let ep: CaEndpoint;
const issued: IssuedRecord[] = [];

before(async () => {
  const root = await createSelfSignedRoot({ trustDomain: TD });
  tokens = BootstrapTokens.ephemeral(() => Date.now() + clockSkewMs);
  server = new CsrServer({ ca: await caFromRoot(root, { trustDomain: TD }), tokens, port: 0, onIssued: (r) => issued.push(r) });
  ep = { address: `127.0.0.1:${await server.start()}`, rootCertPem: root.certPem };
});

after(async () => {
  await server.stop();
});

const refused = (code: string) => (e: SecurityError) => e.code === 'CSR_REQUEST_FAILED' && e.message.includes(code);

test('a bootstrap token gets a certificate for its identity, once', async () => {
  const { csrPem } = await createKeyAndCsr(SLEEP_URI);
  const token = await tokens.mint(SLEEP);
  const chain = await requestCertificate(ep, { csrPem, token, nodeId: 'sidecar~1', ttlMs: 60_000 });
  assert.equal(chain.length, 2);
  assert.equal(new X509Certificate(chain[0]!).subjectAltName, `URI:${SLEEP_URI}`);
  assert.equal(issued.at(-1)?.nodeId, 'sidecar~1');
  assert.equal(issued.at(-1)?.via, 'token');
  await assert.rejects(requestCertificate(ep, { csrPem, token }), refused('TOKEN_INVALID'));
});

test('a CSR for another identity than the token is bound to is refused', async () => {
  const { csrPem } = await createKeyAndCsr('spiffe://cluster.local/ns/default/sa/admin');
  await assert.rejects(requestCertificate(ep, { csrPem, token: await tokens.mint(SLEEP) }), refused('CSR_IDENTITY_MISMATCH'));
  const otherNs = await createKeyAndCsr('spiffe://cluster.local/ns/kube-system/sa/sleep');
  await assert.rejects(requestCertificate(ep, { csrPem: otherNs.csrPem, token: await tokens.mint(SLEEP) }), refused('CSR_IDENTITY_MISMATCH'));
});

test('no credential, a forged token or an expired token is refused', async () => {
  const { csrPem } = await createKeyAndCsr(SLEEP_URI);
  await assert.rejects(requestCertificate(ep, { csrPem }), refused('CSR_UNAUTHENTICATED'));
  const forged = await BootstrapTokens.ephemeral().mint(SLEEP);
  await assert.rejects(requestCertificate(ep, { csrPem, token: forged }), refused('TOKEN_INVALID'));
  const expired = await tokens.mint(SLEEP, 1);
  clockSkewMs = 2100; // the 1 s token is 2.1 s old
  try {
    await assert.rejects(requestCertificate(ep, { csrPem, token: expired }), refused('TOKEN_INVALID'));
  } finally {
    clockSkewMs = 0;
  }
});

test('renewal authenticates with the current certificate, for the same identity only', async () => {
  const first = await createKeyAndCsr(SLEEP_URI);
  const chain = await requestCertificate(ep, { csrPem: first.csrPem, token: await tokens.mint(SLEEP) });
  const next = await createKeyAndCsr(SLEEP_URI);
  const renewed = await requestCertificate(ep, { csrPem: next.csrPem, clientCert: { keyPem: first.keyPem, chainPem: chain.join('') } });
  assert.equal(new X509Certificate(renewed[0]!).subjectAltName, `URI:${SLEEP_URI}`);
  assert.equal(issued.at(-1)?.via, 'certificate');
  const escalate = await createKeyAndCsr('spiffe://cluster.local/ns/default/sa/admin');
  await assert.rejects(requestCertificate(ep, { csrPem: escalate.csrPem, clientCert: { keyPem: first.keyPem, chainPem: chain.join('') } }), refused('CSR_IDENTITY_MISMATCH'));
});

test('the client refuses a CA server it cannot verify', async () => {
  const other = await createSelfSignedRoot({ trustDomain: TD });
  const { csrPem } = await createKeyAndCsr(SLEEP_URI);
  await assert.rejects(requestCertificate({ ...ep, rootCertPem: other.certPem, timeoutMs: 3000 }, { csrPem, token: await tokens.mint(SLEEP) }), (e: SecurityError) => e.code === 'CSR_REQUEST_FAILED');
});
