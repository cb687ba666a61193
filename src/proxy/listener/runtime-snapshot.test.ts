import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../../envoy/type-url.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, SnapshotError, withUpdate } from './runtime-snapshot.js';
import { StatsStore } from '../stats/stats-store.js';
import { UNKNOWN_WORKLOAD } from '../stats/telemetry.js';

const HCM = TypeUrl.HttpConnectionManager;
const manager = () => new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });

const listener = { name: '0.0.0.0_9080', address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } }, bindToPort: { value: false },
  filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: { '@type': HCM, rds: { routeConfigName: '9080' } } }] }] };
const cluster = { name: 'c', type: 'STATIC', lbPolicy: 'ROUND_ROBIN', loadAssignment: { clusterName: 'c', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.9', portValue: 80 } } } }] }] } };

test('compiles outbound listeners, route tables and clusters', () => {
  let r = withUpdate(EMPTY_RESOURCES, TypeUrl.Listener, new Map([[listener.name, listener]]), '1');
  r = withUpdate(r, TypeUrl.Cluster, new Map([['c', cluster]]), '1');
  const snap0 = compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: manager() });
  assert.equal(snap0.ready, false, 'RDS not there yet');
  r = withUpdate(r, TypeUrl.RouteConfiguration, new Map([['9080', { name: '9080', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] }]]), '1');
  const snap = compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: manager() });
  assert.equal(snap.ready, true);
  const hcm = snap.outboundByPort.get(9080)!;
  assert.equal(hcm.rdsName, '9080');
  const sel = snap.routeTable(hcm)!.select({ authority: 'x', method: 'GET', path: '/', scheme: 'http', headers: {} });
  assert.equal(sel.kind, 'route');
  assert.equal(snap.clusters.get('c')!.lb!.pick({})!.address, '127.0.0.9');
});

test('a route configuration that cannot compile is rejected with a stable code', () => {
  const bad = { name: '9080', virtualHosts: [{ name: 'a', domains: ['*'] }, { name: 'b', domains: ['*'] }] };
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.RouteConfiguration, new Map([['9080', bad]]), '2');
  assert.throws(() => compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: manager() }), (e: unknown) => e instanceof SnapshotError && /PROXY_INVALID_ROUTE_CONFIG/.test(e.message));
});

test('an unsupported lb policy is rejected', () => {
  const r = withUpdate(EMPTY_RESOURCES, TypeUrl.Cluster, new Map([['c', { ...cluster, lbPolicy: 'CLUSTER_PROVIDED' }]]), '3');
  assert.throws(() => compileSnapshot(r, { podIp: '127.0.0.1', clusterManager: manager() }), /PROXY_INVALID_CLUSTER: cluster c: LB_UNSUPPORTED_POLICY/);
});
