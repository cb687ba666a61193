import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLabels, configKeyError, isBase64, isIanaSvcName, labelKeyError, selectorMatches } from './kubernetes-names.js';
import { IssueSink } from './common.js';

describe('kubernetes-names', () => {
  it('label keys: prefix and name', () => {
    assert.equal(labelKeyError('app'), undefined);
    assert.equal(labelKeyError('app.kubernetes.io/name'), undefined);
    assert.match(labelKeyError('a/b/c') ?? '', /at most one "\/"/);
    assert.match(labelKeyError('Bad_Prefix/x') ?? '', /prefix/);
    assert.match(labelKeyError('-app') ?? '', /name must be/);
  });
  it('checkLabels reports the key path', () => {
    const sink = new IssueSink(['spec']);
    checkLabels({ app: 'ok', version: 'v 1' }, sink, ['selector']);
    assert.deepEqual(sink.issues.map((i) => i.path), [['spec', 'selector', 'version']]);
  });
  it('IANA service names', () => {
    assert.ok(isIanaSvcName('http'));
    assert.ok(isIanaSvcName('http-metrics'));
    assert.ok(!isIanaSvcName('8080'));
    assert.ok(!isIanaSvcName('a--b'));
    assert.ok(!isIanaSvcName('a-very-long-port-name'));
  });
  it('config keys and base64', () => {
    assert.equal(configKeyError('tls.crt'), undefined);
    assert.match(configKeyError('a/b') ?? '', /invalid key/);
    assert.match(configKeyError('..x') ?? '', /start with/);
    assert.ok(isBase64('aGVsbG8='));
    assert.ok(isBase64('aGVs\nbG8='));
    assert.ok(!isBase64('hello!'));
    assert.ok(!isBase64('aGVsbG8'));
  });
  it('selectorMatches with expressions', () => {
    const sel = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'version', operator: 'In' as const, values: ['v1', 'v2'] }] };
    assert.ok(selectorMatches(sel, { app: 'a', version: 'v2' }));
    assert.ok(!selectorMatches(sel, { app: 'a', version: 'v3' }));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { app: 'a' }));
  });
});
