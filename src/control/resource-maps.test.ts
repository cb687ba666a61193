import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceMaps } from './resource-maps.js';

test('wildcard Maps are shared per list; named Maps per list and snapshot version', () => {
  const maps = new ResourceMaps();
  const a = { name: 'a' };
  const list = [a, { clusterName: 'b' }];
  const w = maps.wildcard(list);
  assert.deepEqual([...w.keys()], ['a', 'b']);
  assert.equal(maps.wildcard(list), w);
  assert.notEqual(maps.wildcard([...list]), w, 'another list, another Map');
  const n1 = maps.named(list, '1');
  assert.equal(maps.named(list, '1'), n1);
  const n2 = maps.named(list, '2');
  assert.notEqual(n2, n1, 'a new version gets a new Map (the server diffs the two)');
  assert.deepEqual([...n2.entries()], [...n1.entries()]);
  const n3 = maps.named(list, '3');
  assert.notEqual(n3, n2);
  assert.deepEqual([...n3], [...n1]);
  assert.equal(n3.get('a'), a);
  assert.equal(n3.size, 2);
});
