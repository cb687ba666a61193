import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTexts, parseText } from './load.js';
import { checkTextLimits, LimitCodes, YamlLimits } from './yaml-limits.js';

const NS = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

test('an alias bomb is WFT0015 at its file and line, not a crash', () => {
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  let text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &a ["x","x","x","x","x","x","x","x","x"]\n`;
  for (let i = 1; i < levels.length; i++) text += `  ${levels[i]}: &${levels[i]} [${Array(9).fill(`*${levels[i - 1]}`).join(',')}]\n`;
  const out = parseText('bomb.yaml', text);
  assert.equal(out.resources.length, 0);
  assert.equal(out.diagnostics[0]?.code, LimitCodes.TooManyAliases);
  assert.deepEqual(out.diagnostics[0]?.source, { file: 'bomb.yaml', line: 1, column: 1 });
});

test('documents per file: the 10,001st document is refused at its line', () => {
  const text = Array.from({ length: YamlLimits.maxDocumentsPerFile + 5 }, (_, i) => NS(`n${i}`)).join('---\n');
  const out = parseText('many.yaml', text);
  assert.equal(out.resources.length, 0);
  assert.equal(out.diagnostics.length, 1);
  assert.equal(out.diagnostics[0]!.code, LimitCodes.TooManyDocuments);
  assert.equal(out.diagnostics[0]!.source?.line, YamlLimits.maxDocumentsPerFile * 5); // the marker line of document 10,001
  assert.match(out.diagnostics[0]!.message, /more than 10,000 documents/);
  // Exactly at the limit loads (a leading marker does not count as another document).
  const atLimit = `---\n${Array.from({ length: YamlLimits.maxDocumentsPerFile }, (_, i) => NS(`n${i}`)).join('---\n')}`;
  assert.equal(checkTextLimits(atLimit), undefined);
});

test('file and document size limits name the file and the document line', () => {
  const huge = `a: "${'x'.repeat(YamlLimits.maxFileBytes)}"`;
  const f = parseText('huge.yaml', huge).diagnostics[0]!;
  assert.equal(f.code, LimitCodes.FileTooLarge);
  assert.match(f.message, /16 MiB/);
  const bigDoc = `${NS('a')}---\n${NS('b')}data: "${'y'.repeat(2 * 1024 * 1024)}"\n`;
  const d = parseText('doc.yaml', bigDoc).diagnostics[0]!;
  assert.equal(d.code, LimitCodes.DocumentTooLarge);
  assert.deepEqual(d.source, { file: 'doc.yaml', line: 5, column: 1 });
  assert.match(d.message, /1\.5 MiB/);
});

test('nesting deeper than 100 levels is WFT0014 at the line where it crosses the limit', () => {
  const block = Array.from({ length: 120 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x\n';
  const out = parseText('deep.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n${block.replace(/^/gm, '  ')}`);
  assert.equal(out.diagnostics[0]?.code, LimitCodes.TooDeep);
  assert.equal(out.diagnostics[0]?.source?.line, 4 + YamlLimits.maxDepth); // `data:` is depth 1 at line 4
  const flow = parseText('flow.yaml', `a: ${'['.repeat(5000)}${']'.repeat(5000)}`);
  assert.ok(flow.diagnostics.length > 0 && flow.diagnostics.every((x) => x.level === 'Error'));
});

test('an apply over the resource limit is refused as a whole, naming the first resource over it', () => {
  const texts = [{ file: 'a.yaml', text: [NS('a'), NS('b')].join('---\n') }, { file: 'b.yaml', text: [NS('c'), NS('d')].join('---\n') }];
  const out = loadTexts(texts, { maxResources: 3 });
  assert.equal(out.resources.length, 0);
  assert.equal(out.diagnostics[0]!.code, LimitCodes.TooManyResources);
  assert.deepEqual(out.diagnostics[0]!.source, { file: 'b.yaml', line: 6, column: 1 });
  assert.equal(loadTexts(texts, { maxResources: 4 }).resources.length, 4);
});
