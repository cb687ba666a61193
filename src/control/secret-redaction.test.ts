import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRedactedSecrets, redactManifest, secretKeys } from './secret-redaction.js';

test('redactManifest: keys and sizes kept, values and last-applied copies dropped; other kinds untouched', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cred', namespace: 'istio-system', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}', team: 'a' } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from('cert').toString('base64'), 'tls.key': Buffer.from('private!').toString('base64') },
    stringData: { extra: 'abc' },
  };
  const out = redactManifest(secret);
  assert.deepEqual(out.data, { 'tls.crt': '', 'tls.key': '', extra: '' });
  assert.equal(out.stringData, undefined);
  assert.equal(out.type, 'kubernetes.io/tls');
  assert.deepEqual((out.metadata as { annotations: unknown }).annotations, { team: 'a', 'weft.io/redacted': 'values withheld: tls.crt 4 bytes, tls.key 8 bytes, extra 3 bytes' });
  assert.ok(!JSON.stringify(out).includes(Buffer.from('private!').toString('base64')));
  assert.ok(!JSON.stringify(out).includes('c2VjcmV0'));
  // The input is not mutated.
  assert.equal(secret.data['tls.key'], Buffer.from('private!').toString('base64'));
  assert.deepEqual(secretKeys(out), ['tls.crt', 'tls.key', 'extra']);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } };
  assert.equal(redactManifest(cm), cm);
});

test('findRedactedSecrets: a redacted Secret applied back is found; others are not', () => {
  const redacted = `apiVersion: v1
kind: Secret
metadata:
  name: cred
  namespace: istio-system
  annotations: {weft.io/redacted: "values withheld: tls.key 8 bytes"}
data: {tls.key: ""}
`;
  assert.deepEqual(findRedactedSecrets([{ file: 'a.yaml', text: redacted }]), ['istio-system/cred']);
  assert.deepEqual(findRedactedSecrets([{ file: 'a.yaml', text: redacted.replace('kind: Secret', 'kind: ConfigMap') }]), []);
  assert.deepEqual(findRedactedSecrets([{ file: 'b.yaml', text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: ok}\ndata: {k: YQ==}\n' }]), []);
});
