/**
 * The CA: workload certificates (SAN, usages, TTL, serial), CSR refusals, the self-signed root kept
 * in the state directory, and plug-in CAs from Istio `cacerts` files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as x509 from '../x509.js';
import { caFromRoot, createSelfSignedRoot, loadOrCreateSelfSignedCa, loadPluginCa } from './ca-store.js';
import { generateP256, privateKeyToPem } from './keys.js';
import { createKeyAndCsr } from '../identity/csr.js';
import type { SecurityError } from '../errors.js';

const TD = 'cluster.local';
const sleepId = { trustDomain: TD, namespace: 'default', serviceAccount: 'sleep' };
const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';

async function tmp(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'weft-ca-'));
}

test('workload certificate: SPIFFE URI SAN, usages, 24 h TTL, random serial, chains to the root', async () => {
  const root = await createSelfSignedRoot({ trustDomain: TD });
  const ca = await caFromRoot(root, { trustDomain: TD });
  const { csrPem } = await createKeyAndCsr(SLEEP);
  const a = await ca.signCsr({ csrPem, identity: sleepId });
  const b = await ca.signCsr({ csrPem, identity: sleepId });
  const leaf = new X509Certificate(a.certPem);
  assert.equal(leaf.subjectAltName, `URI:${SLEEP}`);
  assert.deepEqual(leaf.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.verify(new X509Certificate(root.certPem).publicKey));
  const ttl = a.notAfter.getTime() - Date.now();
  assert.ok(ttl > 24 * 3600_000 - 5000 && ttl <= 24 * 3600_000, `ttl ${ttl}`);
  assert.notEqual(a.serial, b.serial);
  assert.match(a.serial, /^[0-9a-f]{32}$/);
  assert.equal(a.chainPems.length, 2);
  const ku = new x509.X509Certificate(a.certPem).getExtension(x509.KeyUsagesExtension);
  assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
  assert.equal(ku?.critical, true);
  const pub = new x509.X509Certificate(a.certPem).publicKey.algorithm as { name: string; namedCurve: string };
  assert.deepEqual([pub.name, pub.namedCurve], ['ECDSA', 'P-256']);
  const f = path.join(await tmp(), 'chain.pem');
  await writeFile(f, a.certPem);
  await writeFile(`${f}.root`, root.certPem);
  assert.match(execFileSync('openssl', ['verify', '-CAfile', `${f}.root`, '-purpose', 'sslclient', f]).toString(), /OK/);
  await rm(path.dirname(f), { recursive: true, force: true });
});

test('requested TTL is honoured within bounds; default configurable', async () => {
  const ca = await caFromRoot(await createSelfSignedRoot({ trustDomain: TD }), { trustDomain: TD, defaultTtlMs: 3600_000, maxTtlMs: 7200_000 });
  const { csrPem } = await createKeyAndCsr(SLEEP);
  const near = (d: Date, ms: number) => Math.abs(d.getTime() - Date.now() - ms) < 5000;
  assert.ok(near((await ca.signCsr({ csrPem, identity: sleepId })).notAfter, 3600_000));
  assert.ok(near((await ca.signCsr({ csrPem, identity: sleepId, ttlMs: 10_000 })).notAfter, 10_000));
  assert.ok(near((await ca.signCsr({ csrPem, identity: sleepId, ttlMs: 30 * 24 * 3600_000 })).notAfter, 7200_000));
});

test('a CSR for an identity the requester does not have is refused', async () => {
  const ca = await caFromRoot(await createSelfSignedRoot({ trustDomain: TD }), { trustDomain: TD });
  const { csrPem } = await createKeyAndCsr('spiffe://cluster.local/ns/default/sa/admin');
  await assert.rejects(ca.signCsr({ csrPem, identity: sleepId }), (e: SecurityError) => e.code === 'CSR_IDENTITY_MISMATCH');
  const other = await createKeyAndCsr('spiffe://evil.example/ns/default/sa/sleep');
  await assert.rejects(ca.signCsr({ csrPem: other.csrPem, identity: sleepId }), (e: SecurityError) => e.code === 'CSR_IDENTITY_MISMATCH');
  await assert.rejects(ca.signCsr({ csrPem: 'garbage', identity: sleepId }), (e: SecurityError) => e.code === 'CSR_INVALID');
});

test('a CSR with extra SANs (DNS) is refused', async () => {
  const ca = await caFromRoot(await createSelfSignedRoot({ trustDomain: TD }), { trustDomain: TD });
  const keys = await generateP256();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: '', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: SLEEP }, { type: 'dns', value: 'evil.example' }], true)],
  });
  await assert.rejects(ca.signCsr({ csrPem: csr.toString('pem'), identity: sleepId }), (e: SecurityError) => e.code === 'CSR_INVALID');
});

test('self-signed root is created once in the state directory (key 0600) and reused', async () => {
  const dir = await tmp();
  const first = await loadOrCreateSelfSignedCa(dir, { trustDomain: TD });
  assert.equal(first.created, true);
  assert.equal((await stat(path.join(dir, 'ca-key.pem'))).mode & 0o777, 0o600);
  const second = await loadOrCreateSelfSignedCa(dir, { trustDomain: TD });
  assert.equal(second.created, false);
  assert.equal(second.ca.rootCertPem, first.ca.rootCertPem);
  const root = new X509Certificate(await readFile(path.join(dir, 'root-cert.pem'), 'utf8'));
  assert.equal(root.ca, true);
  assert.equal((root.publicKey.asymmetricKeyDetails?.namedCurve), 'prime256v1');
  await rm(path.join(dir, 'root-cert.pem'));
  await assert.rejects(loadOrCreateSelfSignedCa(dir, { trustDomain: TD }), (e: SecurityError) => e.code === 'CA_LOAD_FAILED');
  await rm(dir, { recursive: true, force: true });
});

test('plug-in CA from cacerts files: intermediate signs, chain is leaf → intermediate → root', async () => {
  const dir = await tmp();
  const root = await createSelfSignedRoot({ trustDomain: TD, commonName: 'Corp Root' });
  const rootCa = await caFromRoot(root, { trustDomain: TD });
  const interKeys = await generateP256();
  const inter = await rootCa.issue({ publicKey: interKeys.publicKey, subject: 'O=cluster.local, CN=Weft Intermediate', isCa: true, notAfter: new Date(Date.now() + 365 * 24 * 3600_000) });
  await writeFile(path.join(dir, 'ca-cert.pem'), inter.certPem);
  await writeFile(path.join(dir, 'ca-key.pem'), await privateKeyToPem(interKeys.privateKey));
  await writeFile(path.join(dir, 'root-cert.pem'), root.certPem);
  await writeFile(path.join(dir, 'cert-chain.pem'), inter.certPem + root.certPem);
  const ca = await loadPluginCa(dir, { trustDomain: TD });
  assert.equal(ca.rootCertPem, root.certPem);
  const { csrPem } = await createKeyAndCsr(SLEEP);
  const issued = await ca.signCsr({ csrPem, identity: sleepId });
  assert.equal(issued.chainPems.length, 3);
  const [leaf, mid, top] = issued.chainPems.map((p) => new X509Certificate(p));
  assert.ok(leaf!.verify(mid!.publicKey));
  assert.ok(mid!.verify(top!.publicKey));
  assert.equal(top!.fingerprint256, new X509Certificate(root.certPem).fingerprint256);
  // A key that does not belong to ca-cert.pem is a clear error.
  await writeFile(path.join(dir, 'ca-key.pem'), await privateKeyToPem((await generateP256()).privateKey));
  await assert.rejects(loadPluginCa(dir, { trustDomain: TD }), (e: SecurityError) => e.code === 'CA_INVALID' && e.message.includes('ca-key.pem'));
  await writeFile(path.join(dir, 'ca-cert.pem'), 'not a certificate');
  await assert.rejects(loadPluginCa(dir, { trustDomain: TD }), (e: SecurityError) => e.code === 'CA_LOAD_FAILED' && e.message.includes('ca-cert.pem'));
  await rm(dir, { recursive: true, force: true });
});
