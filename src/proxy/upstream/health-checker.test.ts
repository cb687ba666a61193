import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Cluster } from '../../envoy/types.js';
import { ClusterManager } from './cluster-manager.js';
import { healthCheckConfig } from './health-checker.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { StatsStore } from '../stats/stats-store.js';
import { UNKNOWN_WORKLOAD } from '../stats/telemetry.js';

async function server(address: string, status: { code: number }): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? status.code : 200, { 'content-length': 0 });
    res.end();
  });
  await new Promise<void>((r) => s.listen(0, address, () => r()));
  return s;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('config: defaults and expected statuses', () => {
  assert.equal(healthCheckConfig(undefined, 'c'), undefined);
  const c = healthCheckConfig([{ timeout: { seconds: 1 }, interval: { seconds: 2 }, httpHealthCheck: { path: '/h' } }], 'c')!;
  assert.equal(c.host, 'c');
  assert.deepEqual(c.expected, [[200, 201]]);
  assert.equal(c.unhealthyThreshold, 1);
  const t = healthCheckConfig([{ tcpHealthCheck: {}, expectedStatuses: undefined } as never], 'c')!;
  assert.equal(t.kind, 'tcp');
});

test('active health checks: a failing host leaves the LB set and comes back', async () => {
  const ok = { code: 200 };
  const bad = { code: 503 };
  const a = await server('127.0.6.11', ok);
  const b = await server('127.0.6.12', bad);
  const stats = new ProxyStats(new StatsStore());
  const cm = new ClusterManager({ stats, self: UNKNOWN_WORKLOAD });
  const port = (s: http.Server) => (s.address() as { port: number }).port;
  const cluster: Cluster = {
    name: 'hc', type: 'STATIC', connectTimeout: { seconds: 1 },
    healthChecks: [{ timeout: { nanos: 500_000_000 }, interval: { nanos: 50_000_000 }, healthyThreshold: { value: 2 }, unhealthyThreshold: { value: 2 }, httpHealthCheck: { path: '/healthz' } }],
    loadAssignment: { clusterName: 'hc', endpoints: [{ lbEndpoints: [a, b].map((s) => ({ endpoint: { address: { socketAddress: { address: (s.address() as { address: string }).address, portValue: port(s) } } } })) }] },
  };
  try {
    const c = cm.build(cluster, undefined);
    cm.commit([c]);
    assert.equal(c.hostSet.healthyHosts.length, 0, 'hosts start pending');
    await until(() => c.hostSet.healthyHosts.length === 1, 'first checks');
    assert.equal(c.hostSet.healthyHosts[0]!.address, '127.0.6.11');
    for (let i = 0; i < 20; i++) assert.equal(c.lb!.pick({})!.address, '127.0.6.11');
    bad.code = 200;
    await until(() => c.hostSet.healthyHosts.length === 2, 'recovery after healthyThreshold successes');
    ok.code = 500;
    await until(() => c.hostSet.healthyHosts.length === 1 && c.hostSet.healthyHosts[0]!.address === '127.0.6.12', 'unexpected status: unhealthy at once');
    assert.ok(stats.healthCheck('hc').failure.value >= 1);
    assert.match(stats.store.renderText(), /cluster\.hc\.health_check\.healthy: 1/);
  } finally {
    cm.closeAll();
    a.close();
    b.close();
  }
});
