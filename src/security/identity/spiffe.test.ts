/** SPIFFE IDs: strict parsing and SAN extraction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSpiffeId, parseSpiffeId, uriSans } from './spiffe.js';

test('parses and formats Istio SPIFFE identities', () => {
  const id = { trustDomain: 'cluster.local', namespace: 'default', serviceAccount: 'sleep' };
  assert.equal(formatSpiffeId(id), 'spiffe://cluster.local/ns/default/sa/sleep');
  assert.deepEqual(parseSpiffeId('spiffe://cluster.local/ns/default/sa/sleep'), id);
});

test('rejects look-alikes', () => {
  for (const bad of [
    'spiffe://cluster.local/ns/default/sa/sleep/extra', 'spiffe://cluster.local/ns/default', 'https://cluster.local/ns/a/sa/b',
    'spiffe://cluster.local/ns//sa/b', 'spiffe://Cluster.Local/ns/a/sa/b', 'spiffe://cluster.local/sa/a/ns/b', 'spiffe://td/ns/a/sa/b?x=1',
  ]) assert.equal(parseSpiffeId(bad), undefined, bad);
});

test('extracts URI SANs from node subjectAltName text', () => {
  assert.deepEqual(uriSans('DNS:a.example, URI:spiffe://cluster.local/ns/a/sa/b, URI:"spiffe://x/ns/a,b/sa/c"'), ['spiffe://cluster.local/ns/a/sa/b', 'spiffe://x/ns/a,b/sa/c']);
  assert.deepEqual(uriSans(undefined), []);
});
