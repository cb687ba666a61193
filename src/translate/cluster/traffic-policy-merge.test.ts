import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrafficPolicy } from '../../config/schema/destination-rule.js';
import { effectiveTrafficPolicy, mergeSubsetTrafficPolicy, portLevelTrafficPolicy } from './traffic-policy-merge.js';

const top: TrafficPolicy = {
  loadBalancer: { simple: 'ROUND_ROBIN' },
  connectionPool: { tcp: { maxConnections: 10 } },
  outlierDetection: { consecutive5xxErrors: 7 },
  portLevelSettings: [{ port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 3 } } }],
};

test('without a port-level setting for the port, the top-level policy applies', () => {
  const { policy, matched } = portLevelTrafficPolicy(top, 8080);
  assert.equal(matched, false);
  assert.deepEqual(policy, { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 10 } }, outlierDetection: { consecutive5xxErrors: 7 } });
});

test('a port-level setting replaces the top level: omitted fields are not inherited', () => {
  const { policy, matched } = portLevelTrafficPolicy(top, 9080);
  assert.equal(matched, true);
  assert.deepEqual(policy, { connectionPool: { tcp: { maxConnections: 3 } } });
});

test('a subset overrides per field group and inherits the rest', () => {
  const merged = mergeSubsetTrafficPolicy(top, { loadBalancer: { simple: 'RANDOM' } }, 8080);
  assert.deepEqual(merged, { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 10 } }, outlierDetection: { consecutive5xxErrors: 7 } });
});

test('a subset merges with the rule port-level policy for the port', () => {
  const merged = mergeSubsetTrafficPolicy(top, { loadBalancer: { simple: 'RANDOM' } }, 9080);
  assert.deepEqual(merged, { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 3 } } });
});

test('a subset port-level setting replaces every field group, narrowest wins', () => {
  const subset: TrafficPolicy = {
    loadBalancer: { simple: 'RANDOM' },
    portLevelSettings: [{ port: { number: 8080 }, outlierDetection: { consecutive5xxErrors: 1 } }],
  };
  assert.deepEqual(mergeSubsetTrafficPolicy(top, subset, 8080), { outlierDetection: { consecutive5xxErrors: 1 } });
  assert.deepEqual(effectiveTrafficPolicy(top, 8080, { name: 'v1', trafficPolicy: subset }), { outlierDetection: { consecutive5xxErrors: 1 } });
});

test('no rule policy: the subset policy alone; no policies at all: undefined', () => {
  assert.deepEqual(mergeSubsetTrafficPolicy(undefined, { tls: { mode: 'DISABLE' } }, 80), { tls: { mode: 'DISABLE' } });
  assert.equal(effectiveTrafficPolicy(undefined, 80), undefined);
  assert.equal(effectiveTrafficPolicy(undefined, 80, { name: 'v1' }), undefined);
});
