import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTexts } from '../config/load.js';
import { loadTextsPaced, sliceDocuments } from './paced-load.js';

const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: default\n`;

test('slices cut at document markers and keep every line', () => {
  const text = Array.from({ length: 25 }, (_, i) => sa(`s${i}`)).join('---\n');
  const slices = sliceDocuments(text, 10);
  assert.equal(slices.length, 3);
  assert.equal(slices.map((s) => s.text).join(''), text);
  assert.ok(slices.slice(1).every((s) => s.text.startsWith('---\n')));
  assert.equal(slices[1]!.line, text.slice(0, text.length - slices[1]!.text.length - slices[2]!.text.length).split('\n').length - 1);
});

test('paced loading finds what loadTexts finds: resources, file:line of errors, duplicates across slices', async () => {
  const docs = Array.from({ length: 250 }, (_, i) => sa(`s${i}`));
  docs[180] = sa('BAD'); // invalid name, far down the file
  docs[230] = sa('s3'); // duplicate of a resource in the first slice
  const texts = [{ file: '/a.yaml', text: docs.join('---\n') }, { file: '/b.yaml', text: sa('b1') }];
  const paced = await loadTextsPaced(texts, 50);
  const whole = loadTexts(texts);
  assert.deepEqual(paced.resources.map((r) => `${r.metadata.name}@${r.source.file}:${r.source.line}`), whole.resources.map((r) => `${r.metadata.name}@${r.source.file}:${r.source.line}`));
  const diag = (ds: typeof paced.diagnostics) => ds.filter((d) => d.level !== 'Info').map((d) => `${d.level} ${d.code} ${d.source?.file}:${d.source?.line} ${d.message}`);
  assert.deepEqual(diag(paced.diagnostics), diag(whole.diagnostics));
  // The invalid name is an error; the duplicate a warning (the later definition wins, issue 12).
  assert.deepEqual(diag(paced.diagnostics).map((d) => d.split(' ').slice(0, 2).join(' ')), ['Error IST0106', 'Warning WFT0003']);
  const late = paced.resources.find((r) => r.metadata.name === 's200')!;
  assert.equal(late.locate(['metadata', 'name']).line, whole.resources.find((r) => r.metadata.name === 's200')!.locate(['metadata', 'name']).line);
});
