/**
 * Where the CA's keys come from:
 * - {@link loadOrCreateSelfSignedCa}: Weft's own root, generated on first start (ECDSA P-256,
 *   10 years, `O=<trust domain>`) into the control plane's state directory as `ca-key.pem`
 *   and `root-cert.pem` (both mode 0600, in a 0700 directory), and reused on every later start;
 * - {@link loadPluginCa}: a plug-in CA from a directory laid out as Istio's `cacerts` secret:
 *   `ca-cert.pem` (the signing, usually intermediate, certificate), `ca-key.pem` (its key),
 *   `root-cert.pem` (the trust anchor) and `cert-chain.pem` (ca-cert up to the root; optional).
 * Malformed or mismatched files fail with CA_LOAD_FAILED / CA_INVALID naming the file.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '../x509.js';
import { writeFileDurable } from '../../util/durable-file.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';
import { CertificateAuthority, type CaMaterial, type CaOptions } from './certificate-authority.js';
import { generateP256, importPrivateKeyPem, keyMatchesCertificate, parseCertificatePem, privateKeyToPem, randomSerial, signingAlgorithmFor, splitPemCertificates } from './keys.js';

/** File names of the self-signed CA in the state directory. */
export const SELF_SIGNED_FILES = { key: 'ca-key.pem', root: 'root-cert.pem' } as const;
/** File names of an Istio `cacerts` plug-in CA directory. */
export const PLUGIN_FILES = { cert: 'ca-cert.pem', key: 'ca-key.pem', root: 'root-cert.pem', chain: 'cert-chain.pem' } as const;

const ROOT_VALIDITY_MS = 10 * 365 * 24 * 3600_000;

/** A self-signed root as PEM. */
export interface RootPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Generates a self-signed ECDSA P-256 root CA certificate (also used by tests to make rogue CAs). */
export async function createSelfSignedRoot(opts: { trustDomain: string; commonName?: string; validityMs?: number }): Promise<RootPair> {
  const keys = await generateP256();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${opts.trustDomain}${opts.commonName ? `, CN=${opts.commonName}` : ''}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + (opts.validityMs ?? ROOT_VALIDITY_MS)),
    keys,
    signingAlgorithm: signingAlgorithmFor(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await privateKeyToPem(keys.privateKey) };
}

/** Builds a CA whose signing certificate is the self-signed root `pair`. */
export async function caFromRoot(pair: RootPair, opts: CaOptions): Promise<CertificateAuthority> {
  const material: CaMaterial = {
    signingCertPem: pair.certPem,
    signingKey: await importPrivateKeyPem(pair.keyPem, 'root key'),
    chainAbovePems: [],
    rootCertPem: pair.certPem,
  };
  return new CertificateAuthority(material, opts);
}

/** Loads the self-signed CA from `stateDir`, creating it on first start; `created` tells which. */
export async function loadOrCreateSelfSignedCa(stateDir: string, opts: CaOptions): Promise<{ ca: CertificateAuthority; created: boolean }> {
  const keyFile = path.join(stateDir, SELF_SIGNED_FILES.key);
  const rootFile = path.join(stateDir, SELF_SIGNED_FILES.root);
  const haveKey = await exists(keyFile);
  const haveRoot = await exists(rootFile);
  if (haveKey && haveRoot) {
    const pair = { certPem: await readText(rootFile), keyPem: await readText(keyFile) };
    parseCertificatePem(pair.certPem, rootFile);
    if (!keyMatchesCertificate(pair.keyPem, pair.certPem)) throw new SecurityError(SecurityErrorCode.CaInvalid, `${keyFile} does not belong to ${rootFile}`);
    return { ca: await caFromRoot(pair, opts), created: false };
  }
  if (haveKey !== haveRoot) {
    throw new SecurityError(SecurityErrorCode.CaLoad, `${stateDir} holds only one of ${SELF_SIGNED_FILES.key} and ${SELF_SIGNED_FILES.root}; remove it to generate a new root, or restore the other`);
  }
  const pair = await createSelfSignedRoot({ trustDomain: opts.trustDomain, commonName: 'Weft root CA' });
  // Key first: a crash in between leaves a key without a root, which the check above reports.
  await writeFileDurable(keyFile, pair.keyPem, 0o600);
  await writeFileDurable(rootFile, pair.certPem, 0o600);
  return { ca: await caFromRoot(pair, opts), created: true };
}

/** Loads a plug-in CA from an Istio `cacerts` directory. */
export async function loadPluginCa(dir: string, opts: CaOptions): Promise<CertificateAuthority> {
  const file = (n: string) => path.join(dir, n);
  const certPem = await readText(file(PLUGIN_FILES.cert));
  const keyPem = await readText(file(PLUGIN_FILES.key));
  const rootPem = await readText(file(PLUGIN_FILES.root));
  const chainPem = (await exists(file(PLUGIN_FILES.chain))) ? await readText(file(PLUGIN_FILES.chain)) : '';
  const signing = parseCertificatePem(certPem, file(PLUGIN_FILES.cert));
  const roots = splitPemCertificates(rootPem);
  if (roots.length === 0) throw new SecurityError(SecurityErrorCode.CaLoad, `${file(PLUGIN_FILES.root)}: no certificate`);
  roots.forEach((r, i) => parseCertificatePem(r, `${file(PLUGIN_FILES.root)}[${i}]`));
  const chain = splitPemCertificates(chainPem);
  chain.forEach((c, i) => parseCertificatePem(c, `${file(PLUGIN_FILES.chain)}[${i}]`));
  const basic = signing.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw new SecurityError(SecurityErrorCode.CaInvalid, `${file(PLUGIN_FILES.cert)} is not a CA certificate (basicConstraints cA is not set)`);
  if (!keyMatchesCertificate(keyPem, certPem)) throw new SecurityError(SecurityErrorCode.CaInvalid, `${file(PLUGIN_FILES.key)} does not belong to ${file(PLUGIN_FILES.cert)}`);
  // cert-chain.pem usually starts with ca-cert itself; what is above it goes into every chain.
  const norm = (p: string) => p.replace(/\s+/g, '');
  const above = chain.filter((c) => norm(c) !== norm(certPem));
  const root = roots[0]!;
  if (!above.some((c) => norm(c) === norm(root)) && norm(root) !== norm(certPem)) above.push(root);
  const material: CaMaterial = {
    signingCertPem: certPem.endsWith('\n') ? certPem : `${certPem}\n`,
    signingKey: await importPrivateKeyPem(keyPem, file(PLUGIN_FILES.key)),
    chainAbovePems: above,
    rootCertPem: rootPem,
  };
  return new CertificateAuthority(material, opts);
}

async function exists(f: string): Promise<boolean> {
  try {
    await stat(f);
    return true;
  } catch {
    return false;
  }
}

async function readText(f: string): Promise<string> {
  try {
    return await readFile(f, 'utf8');
  } catch (cause) {
    throw new SecurityError(SecurityErrorCode.CaLoad, `cannot read ${f}: ${(cause as Error).message}`, { cause });
  }
}
