import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPaths, loadTexts, parseText, LoadCodes } from './load.js';
import { LimitCodes } from './yaml-limits.js';

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  labels: {app: reviews}
spec:
  selector: {app: reviews}
  ports:
  - name: http
    port: 9080
`;

test('a valid document loads with namespace defaulted and its source position', () => {
  const out = parseText('svc.yaml', SERVICE);
  assert.deepEqual(out.diagnostics, []);
  assert.equal(out.resources.length, 1);
  const r = out.resources[0]!;
  assert.equal(r.kind, 'Service');
  assert.equal(r.metadata.namespace, 'default');
  assert.deepEqual(r.source, { file: 'svc.yaml', line: 1, column: 1 });
  assert.deepEqual(r.locate(['spec', 'ports', 0, 'port']), { file: 'svc.yaml', line: 10, column: 5 });
});

test('a YAML syntax error names file and line, and other documents still load', () => {
  const text = `${SERVICE}---\napiVersion: v1\nkind: Service\nmetadata: {name: broken\n---\n${SERVICE.replace('reviews', 'ratings')}`;
  const out = parseText('multi.yaml', text);
  const syntax = out.diagnostics.filter((d) => d.code === LoadCodes.YamlSyntax);
  assert.ok(syntax.length >= 1, 'syntax error reported');
  assert.equal(syntax[0]!.source?.file, 'multi.yaml');
  assert.ok((syntax[0]!.source?.line ?? 0) >= 14, `line ${syntax[0]!.source?.line}`);
  assert.deepEqual(out.resources.map((r) => r.metadata.name).sort(), ['ratings', 'reviews']);
});

test('an unknown kind in an Istio group is an error with file and line; the next document loads', () => {
  const text = `apiVersion: networking.istio.io/v1\nkind: Widget\nmetadata: {name: w}\n---\n${SERVICE}`;
  const out = parseText('w.yaml', text);
  assert.equal(out.diagnostics.length, 1);
  assert.equal(out.diagnostics[0]!.code, LoadCodes.UnknownKind);
  assert.equal(out.diagnostics[0]!.level, 'Error');
  assert.match(out.diagnostics[0]!.message, /unknown kind Widget/);
  assert.equal(out.diagnostics[0]!.source?.line, 2);
  assert.equal(out.resources.length, 1);
});

test('an unknown field is IST0106 with the field path and position', () => {
  const text = SERVICE.replace('    port: 9080', '    port: 9080\n    prot: 1');
  const out = parseText('bad.yaml', text);
  assert.equal(out.resources.length, 0);
  const d = out.diagnostics[0]!;
  assert.equal(d.code, 'IST0106');
  assert.equal(d.level, 'Error');
  assert.equal(d.field, 'spec.ports[0].prot');
  assert.equal(d.source?.line, 11);
  assert.deepEqual(d.resource, { kind: 'Service', namespace: 'default', name: 'reviews' });
});

test('bad metadata names are rejected', () => {
  const out = parseText('n.yaml', SERVICE.replace('name: reviews', 'name: Reviews_1'));
  assert.equal(out.resources.length, 0);
  assert.match(out.diagnostics[0]!.message, /RFC 1123/);
  assert.equal(out.diagnostics[0]!.source?.line, 4);
});

test('duplicates across files and within one file: the last wins (as kubectl apply of both), a warning names both places', () => {
  const out = loadTexts([
    { file: 'a.yaml', text: SERVICE },
    { file: 'b.yaml', text: SERVICE.replace('port: 9080', 'port: 9081') },
  ]);
  assert.equal(out.resources.length, 1);
  assert.equal(out.resources[0]!.source.file, 'b.yaml');
  assert.equal(out.diagnostics[0]!.code, LoadCodes.Duplicate);
  assert.equal(out.diagnostics[0]!.level, 'Warning');
  assert.match(out.diagnostics[0]!.message, /a\.yaml:1/);
  assert.equal(out.diagnostics[0]!.source?.file, 'b.yaml');
  const one = loadTexts([{ file: 'c.yaml', text: `${SERVICE}---\n${SERVICE.replace('port: 9080', 'port: 9081')}` }]);
  assert.equal(one.resources.length, 1);
  assert.ok(JSON.stringify(one.resources[0]!.spec).includes('9081'));
  assert.deepEqual(one.diagnostics.map((d) => [d.code, d.level, d.source?.line]), [[LoadCodes.Duplicate, 'Warning', 12]]);
});

test('a v1 List is expanded and positions point into its items', () => {
  const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b}\n`;
  const out = parseText('list.yaml', list);
  assert.deepEqual(out.diagnostics, []);
  assert.deepEqual(out.resources.map((r) => r.metadata.name), ['a', 'b']);
  assert.equal(out.resources[1]!.source.line, 7);
});

test('JSON documents load too', () => {
  const out = parseText('sa.json', JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namespace: 'ns1' } }));
  assert.deepEqual(out.diagnostics, []);
  assert.equal(out.resources[0]!.metadata.namespace, 'ns1');
});

test('directories are read recursively, only *.yaml|*.yml|*.json, and stdin with "-"', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-load-'));
  try {
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'a.yaml'), SERVICE);
    await writeFile(path.join(dir, 'sub', 'b.yml'), SERVICE.replace('reviews', 'ratings'));
    await writeFile(path.join(dir, 'notes.txt'), 'not yaml: [');
    const out = await loadPaths([dir, '-'], async () => SERVICE.replace('reviews', 'details'));
    assert.deepEqual(out.diagnostics, []);
    assert.deepEqual(out.resources.map((r) => r.metadata.name).sort(), ['details', 'ratings', 'reviews']);
    const missing = await loadPaths([path.join(dir, 'nope.yaml')]);
    assert.equal(missing.diagnostics[0]!.code, LoadCodes.Unreadable);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a YAML alias bomb is an error with file:line, not a crash (issue 11)', () => {
  // Each level doubles the expansion: 2^20 references from a few hundred bytes.
  const levels = Array.from({ length: 20 }, (_, i) => `  l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`).join('\n');
  const text = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: bomb\nspec:\n  l0: &l0 "lol"\n${levels}\n`;
  const out = parseText('bomb.yaml', text);
  assert.equal(out.resources.length, 0);
  // Its own limit code (yaml-limits.ts), WFT0015.
  const d = out.diagnostics.find((x) => x.code === LimitCodes.TooManyAliases);
  assert.ok(d, JSON.stringify(out.diagnostics));
  assert.match(d.message, /alias/i);
  assert.equal(d.source?.file, 'bomb.yaml');
  assert.equal(d.source?.line, 1);
});
