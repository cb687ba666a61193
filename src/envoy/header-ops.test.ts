import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyHeaderOps, applyResponseHeaderMutations, headerOps, requestHeaderMutations } from './header-ops.js';

test('header ops: remove, append, overwrite, add-if-absent', () => {
  const owner = {};
  const ops = headerOps(owner, 0, [
    { header: { key: 'X-A', value: '1' } },
    { header: { key: 'x-b', value: '2' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    { header: { key: 'x-c', value: '3' }, appendAction: 'ADD_IF_ABSENT' },
  ], ['x-gone']);
  const h: Record<string, string | string[] | number | undefined> = { 'x-a': '0', 'x-b': 'old', 'x-c': 'keep', 'x-gone': 'y' };
  applyHeaderOps(ops, h);
  assert.deepEqual(h, { 'x-a': '0,1', 'x-b': '2', 'x-c': 'keep' });
  assert.equal(headerOps(owner, 0, undefined, undefined), ops, 'cached per owner and kind');
  assert.equal(headerOps({}, 1, [], []), undefined);
});

test('requestHeaderMutations: route configuration, virtual host, route, in the router order', () => {
  const m = requestHeaderMutations(
    { name: 'rc', requestHeadersToAdd: [{ header: { key: 'x-rc', value: '1' } }], requestHeadersToRemove: ['x-drop-rc'] },
    { name: 'vh', domains: ['*'], requestHeadersToAdd: [{ header: { key: 'x-vh', value: '2' } }] },
    { match: { prefix: '/' }, requestHeadersToAdd: [{ header: { key: 'x-route', value: '3' } }], requestHeadersToRemove: ['x-drop-route'] },
  );
  assert.deepEqual(m.add.map((o) => o.header?.key), ['x-rc', 'x-vh', 'x-route']);
  assert.deepEqual(m.remove, ['x-drop-rc', 'x-drop-route']);
  assert.deepEqual(requestHeaderMutations(undefined, undefined, { match: { prefix: '/' } }), { add: [], remove: [] });
});

test('response mutations: most specific first, so the least specific level wins (Envoy default)', () => {
  const set = (value: string) => ({ responseHeadersToAdd: [{ header: { key: 'x-level', value }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' as const }] });
  const h: Record<string, string | string[] | number | undefined> = {};
  applyResponseHeaderMutations(h, set('cluster'), set('route'), set('vh'), set('rc'));
  assert.equal(h['x-level'], 'rc');
  const h2: Record<string, string | string[] | number | undefined> = {};
  applyResponseHeaderMutations(h2, set('cluster'), set('route'), {}, undefined);
  assert.equal(h2['x-level'], 'route');
});
