import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { compilePinCheck, PIN_MISMATCH } from './certificate-pins.js';

function selfSigned(dir: string, name: string): Buffer {
  execFileSync('openssl', ['req', '-x509', '-nodes', '-days', '1', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', `/CN=${name}`,
    '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)], { stdio: 'ignore' });
  return new X509Certificate(readFileSync(path.join(dir, `${name}.crt`))).raw;
}

test('SPKI (base64) and certificate hash (hex, any case, with or without colons) pins; either list matching accepts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-pins-'));
  try {
    const a = selfSigned(dir, 'a');
    const b = selfSigned(dir, 'b');
    const peer = (raw: Buffer) => ({ raw }) as PeerCertificate;
    const spkiA = createHash('sha256').update(new X509Certificate(a).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
    const hashB = createHash('sha256').update(b).digest('hex').toUpperCase().match(/../g)!.join(':');
    assert.equal(compilePinCheck({}), undefined);
    const spkiOnly = compilePinCheck({ verifyCertificateSpki: [spkiA] })!;
    assert.equal(spkiOnly(peer(a)), undefined);
    assert.equal((spkiOnly(peer(b)) as Error & { code?: string }).code, PIN_MISMATCH);
    const both = compilePinCheck({ verifyCertificateSpki: [spkiA], verifyCertificateHash: [hashB] })!;
    assert.equal(both(peer(a)), undefined);
    assert.equal(both(peer(b)), undefined);
    const hashOnly = compilePinCheck({ verifyCertificateHash: [hashB.replace(/:/g, '').toLowerCase()] })!;
    assert.equal(hashOnly(peer(b)), undefined);
    assert.ok(hashOnly(peer(a)) instanceof Error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
