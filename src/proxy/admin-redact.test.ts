import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactedJson } from './admin-redact.js';

test('config_dump redaction: private keys and passwords go, file names and certificates stay', () => {
  const key = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';
  const dump = {
    configs: [{
      dynamicActiveSecrets: [{ secret: { name: 'gw', tlsCertificate: { certificateChain: { inlineString: 'CERT' }, privateKey: { inlineString: key }, password: { inlineBytes: 'cHc=' } } } }],
      clusters: [{ transportSocket: { typedConfig: { commonTlsContext: { tlsCertificates: [{ certificateChain: { filename: '/c.pem' }, privateKey: { filename: '/k.pem' } }] } } } }],
      other: { sessionTicketKeys: { keys: [{ inlineBytes: 'AAAA' }] }, genericSecret: { secret: { inlineString: 's' } }, hmacSecret: 'x' },
    }],
  };
  const text = redactedJson(dump);
  assert.ok(!text.includes('PRIVATE KEY') && !text.includes('cHc=') && !text.includes('AAAA'), text);
  const back = JSON.parse(text) as typeof dump;
  const s = back.configs[0]!.dynamicActiveSecrets[0]!.secret.tlsCertificate;
  assert.deepEqual(s.privateKey, { inlineString: REDACTED });
  assert.deepEqual(s.password, { inlineString: REDACTED });
  assert.deepEqual(s.certificateChain, { inlineString: 'CERT' });
  assert.deepEqual(back.configs[0]!.clusters[0]!.transportSocket.typedConfig.commonTlsContext.tlsCertificates[0]!.privateKey, { filename: '/k.pem' });
  assert.equal(back.configs[0]!.other.sessionTicketKeys as unknown, REDACTED);
  assert.equal(back.configs[0]!.other.hmacSecret, REDACTED);
});
