import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText } from './load.js';
import { namespaceWarnings, NAMESPACE_NOT_FOUND } from './namespaces.js';
import { analyzeLoaded } from '../analyze/analyze.js';

const sa = (name: string, ns?: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}${ns ? `, namespace: ${ns}` : ''}}\n`;
const nsDoc = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;

test('a namespace exists when a Namespace defines it or it is well known; one warning per missing namespace, at its first resource', () => {
  const text = [sa('a'), sa('b', 'istio-system'), sa('c', 'shop'), sa('d', 'shop'), sa('e', 'made'), nsDoc('made'), sa('f', 'kube-system')].join('---\n');
  const loaded = parseText('ns.yaml', text);
  assert.deepEqual(loaded.diagnostics, []);
  const w = namespaceWarnings(loaded.resources);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.code, NAMESPACE_NOT_FOUND);
  assert.equal(w[0]!.level, 'Warning');
  assert.deepEqual(w[0]!.source, { file: 'ns.yaml', line: 9, column: 1 });
  assert.deepEqual(w[0]!.resource, { kind: 'ServiceAccount', namespace: 'shop', name: 'c' });
  assert.match(w[0]!.message, /namespace "shop" does not exist .*and 1 other resource\)/);
  // weft analyze reports it (a warning: the exit code for errors is not affected).
  const analyzed = analyzeLoaded(loaded);
  assert.ok(analyzed.messages.some((m) => m.code === NAMESPACE_NOT_FOUND && m.resource?.namespace === 'shop'));
  // Defining the namespace in another file silences it.
  assert.deepEqual(namespaceWarnings(loaded.resources, [...loaded.resources, ...parseText('x.yaml', nsDoc('shop')).resources]), []);
});
