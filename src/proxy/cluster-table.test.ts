import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../xds/protos.js';
import { ClusterManager } from './cluster-manager.js';
import { ProxyStats } from './proxy-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, withUpdate } from './runtime-snapshot.js';
import { StatsStore } from './stats/stats-store.js';
import { UNKNOWN_WORKLOAD } from './telemetry.js';

const cluster = (port: number) => ({ name: 'c', type: 'STATIC', loadAssignment: { clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.9', portValue: port } } } }] }] } });

test('clusters are built on first use, and a used cluster carries over to the next snapshot', () => {
  const cm = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map([['c', cluster(80)], ['d', { ...cluster(81), name: 'd' }]]), '1');
  const s1 = compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: cm });
  cm.commitTable(s1.clusters);
  assert.equal(s1.clusters.size, 2);
  assert.equal([...s1.clusters.built()].length, 0, 'nothing built at compile time');
  const c1 = s1.clusters.get('c')!;
  assert.equal([...s1.clusters.built()].length, 1);
  assert.equal(cm.resilienceState('c')?.current, c1, 'a lazily built cluster of the committed snapshot is adopted');

  // Same content in new objects: the runtime itself is reused; 'd' stays unbuilt.
  const s2 = compileSnapshot(withUpdate(r, TypeUrl.Cluster, new Map([['c', cluster(80)], ['d', { ...cluster(81), name: 'd' }]]), '2'), { podIp: '127.0.0.1', clusterManager: cm });
  cm.commitTable(s2.clusters);
  assert.equal([...s2.clusters.built()][0], c1);
  assert.equal([...s2.clusters.built()].length, 1);

  // Changed endpoints: rebuilt at compile time (it is in use).
  const s3 = compileSnapshot(withUpdate(r, TypeUrl.Cluster, new Map([['c', cluster(82)]]), '3'), { podIp: '127.0.0.1', clusterManager: cm });
  const c3 = [...s3.clusters.built()][0]!;
  assert.notEqual(c3, c1);
  assert.equal(c3.lb!.pick({})!.port, 82);
});

test('an invalid endpoint port is rejected at compile time, before any build', () => {
  const cm = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map([['c', cluster(70000)]]), '1');
  assert.throws(() => compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: cm }), /PROXY_INVALID_CLUSTER: cluster c: .*70000/);
});
