import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWeightedClusters, pickWeightedCluster, weightedChoices } from './weighted-cluster.js';
import type { RouteAction } from './types.js';

const split: RouteAction = {
  weightedClusters: {
    clusters: [
      { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: { value: 30 } },
      { name: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: { value: 70 } },
      // {} is how a decoded UInt32Value of 0 looks.
      { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: {} },
    ],
  },
};

test('weightedChoices lists each cluster with weight/sum, summing to 1', () => {
  const choices = weightedChoices(split);
  assert.deepEqual(choices.map((c) => [c.name.split('|')[2], c.weight, c.share]), [['v1', 30, 0.3], ['v2', 70, 0.7], ['v3', 0, 0]]);
  assert.ok(Math.abs(choices.reduce((s, c) => s + c.share, 0) - 1) < 1e-12);
  assert.deepEqual(weightedChoices({ cluster: 'c' }).map((c) => [c.name, c.share]), [['c', 1]]);
  assert.deepEqual(weightedChoices({ clusterHeader: 'x-cluster' }), []);
});

test('pickWeightedCluster uses cumulative [begin, end) intervals over the sum', () => {
  const at = (r: number) => pickWeightedCluster(split, r)!.split('|')[2];
  assert.equal(at(0), 'v1');
  assert.equal(at(0.29), 'v1');
  assert.equal(at(0.299999), 'v1');
  assert.equal(at(0.3), 'v2');
  assert.equal(at(0.5), 'v2');
  assert.equal(at(0.999999999), 'v2');
  // Out-of-range inputs are clamped rather than failing.
  assert.equal(at(1), 'v2');
  assert.equal(at(-1), 'v1');
  assert.equal(pickWeightedCluster({ cluster: 'only' }, 0.7), 'only');
  assert.equal(pickWeightedCluster({ clusterHeader: 'x-cluster' }, 0.7), undefined);
  // A weight-0 cluster in first place is skipped.
  const zeroFirst: RouteAction = { weightedClusters: { clusters: [{ name: 'z', weight: {} }, { name: 'a', weight: { value: 1 } }] } };
  assert.equal(pickWeightedCluster(zeroFirst, 0), 'a');
});

test('one destination with any weight gets everything', () => {
  const one = compileWeightedClusters({ clusters: [{ name: 'a', weight: { value: 5 } }] });
  assert.equal(one.total, 5);
  for (const r of [0, 0.5, 0.99]) assert.equal(one.pick(r).name, 'a');
});

test('weights summing to zero are rejected as Envoy does', () => {
  assert.throws(() => compileWeightedClusters({ clusters: [{ name: 'a', weight: {} }] }), { code: 'ENVOY_INVALID_WEIGHTED_CLUSTERS' });
  assert.throws(() => compileWeightedClusters({ clusters: [] }), { code: 'ENVOY_INVALID_WEIGHTED_CLUSTERS' });
  assert.throws(
    () => compileWeightedClusters({ clusters: [{ name: 'a', weight: { value: 4294967295 } }, { name: 'b', weight: { value: 1 } }] }),
    { code: 'ENVOY_INVALID_WEIGHTED_CLUSTERS' },
  );
});
