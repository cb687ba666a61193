import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../config/diagnostic.js';
import { formatMessages, renderLine, sortMessages } from './format.js';
import { filterMessages, globMatch, parseSuppression } from './filter.js';
import { Messages, renderTemplate } from './messages.js';

const msg = (code: string, level: Diagnostic['level'], name: string, line: number): Diagnostic => ({
  code, level, message: `m ${name}`, source: { file: 'f.yaml', line, column: 3 }, resource: { kind: 'VirtualService', namespace: 'default', name },
});

test('templates render as Go fmt does', () => {
  assert.equal(renderTemplate(Messages.ReferencedResourceNotFound.template, ['host', 'reviews2']), 'Referenced host not found: "reviews2"');
  assert.equal(
    renderTemplate(Messages.VirtualServiceDestinationPortSelectorRequired.template, ['reviews', [9080, 9090]]),
    'This VirtualService routes to a service "reviews" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.',
  );
});

test('log lines follow istioctl: level, code, origin with file:line, message', () => {
  assert.equal(renderLine(msg('IST0101', 'Error', 'reviews', 12)), 'Error [IST0101] (VirtualService default/reviews f.yaml:12) m reviews');
  assert.equal(renderLine({ code: 'WFT0001', level: 'Error', message: 'YAML syntax error: x', source: { file: 'a.yaml', line: 4, column: 1 } }),
    'Error [WFT0001] (a.yaml:4) YAML syntax error: x');
});

test('messages sort by level, code, then resource', () => {
  const sorted = sortMessages([msg('IST0132', 'Warning', 'a', 1), msg('IST0101', 'Error', 'b', 1), msg('IST0101', 'Error', 'a', 9), msg('IST0118', 'Info', 'a', 1)]);
  assert.deepEqual(sorted.map((m) => `${m.code} ${m.resource?.name}`), ['IST0101 a', 'IST0101 b', 'IST0132 a', 'IST0118 a']);
});

test('json output has istioctl keys', () => {
  const out = JSON.parse(formatMessages([msg('IST0101', 'Error', 'r', 2)], 'json')) as object[];
  assert.deepEqual(Object.keys(out[0]!), ['code', 'documentationUrl', 'level', 'message', 'origin', 'reference']);
  assert.equal(formatMessages([], 'json'), '[]');
});

test('suppressions match with * wildcards, both name forms, and the namespace filter applies', () => {
  assert.deepEqual(parseSuppression('IST0101=VirtualService default/r'), { code: 'IST0101', resource: 'VirtualService default/r' });
  assert.equal(parseSuppression('nonsense'), undefined);
  assert.ok(globMatch('VirtualService *', 'VirtualService default/r'));
  const all = [msg('IST0101', 'Error', 'r', 2), { ...msg('IST0101', 'Error', 'x', 2), resource: { kind: 'VirtualService', namespace: 'other', name: 'x' } }];
  assert.equal(filterMessages(all, { suppressions: [{ code: 'IST0101', resource: 'VirtualService r.default' }] }).length, 1);
  assert.equal(filterMessages(all, { namespace: 'default', suppressions: [] }).length, 1);
});
