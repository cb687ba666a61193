/**
 * End to end (issue 12, per-route `statPrefix`): a VirtualService whose match blocks set
 * `statPrefix`, a real sidecar (`startProxy`) fed by the control plane, a real upstream: the proxy
 * keeps Envoy's per-route stats under `vhost.<virtual host>.route.<statPrefix>.` (total, completed,
 * per code, per class, upstream time) on its admin `/stats`, and as `envoy_vhost_route_*` on
 * `/stats/prometheus`; a route without `statPrefix` gets none.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { get, Mesh, service, Upstream } from '../resilience/harness.js';
import { portOf } from '../harness/ports.js';

const PORT = portOf(import.meta.url); // 19115, test/harness/ports.ts
const mesh = new Mesh('127.211.9.1');
const ratings = new Upstream('127.211.9.11', PORT);
const VHOST = `ratings.default.svc.cluster.local:${PORT}`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - match:
    - uri: {prefix: /a/}
      statPrefix: ratings-a
    - uri: {prefix: /also-a/}
      statPrefix: ratings-a
    route: [{destination: {host: ratings}}]
  - match:
    - uri: {prefix: /b/}
      statPrefix: ratings-b
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: ratings}}]
`;

before(async () => {
  // The upstream answers the status named by the path's second segment (/a/503 → 503).
  ratings.behaviour = (req, res) => {
    const status = Number((req.url ?? '').split('/')[2]) || 200;
    res.writeHead(status, { 'content-length': 2 });
    res.end('ok');
  };
  await mesh.start({ 'registry.yaml': service('ratings', PORT, [ratings.address]), 'vs.yaml': VS }, [ratings]);
  await mesh.waitForHosts(`outbound|${PORT}||ratings.default.svc.cluster.local`, 1);
});

after(() => mesh.stop());

test('per-route statPrefix: vhost.<vhost>.route.<prefix>.upstream_rq_total/_completed/_<code>/_<class>xx/upstream_rq_time on /stats and /stats/prometheus', async () => {
  const send = async (p: string, status: number) => assert.equal((await mesh.request(`http://ratings:${PORT}${p}`)).status, status, p);
  for (let i = 0; i < 3; i++) await send('/a/200', 200);
  await send('/also-a/200', 200);
  for (let i = 0; i < 2; i++) await send('/a/503', 503);
  await send('/b/201', 201);
  for (let i = 0; i < 2; i++) await send('/other/200', 200);

  const a = `vhost.${VHOST}.route.ratings-a`;
  const b = `vhost.${VHOST}.route.ratings-b`;
  const stats = await mesh.stats();
  const line = (name: string) => stats.split('\n').find((l) => l.startsWith(`${name}: `));
  assert.equal(line(`${a}.upstream_rq_total`), `${a}.upstream_rq_total: 6`);
  assert.equal(line(`${a}.upstream_rq_completed`), `${a}.upstream_rq_completed: 6`);
  assert.equal(line(`${a}.upstream_rq_200`), `${a}.upstream_rq_200: 4`);
  assert.equal(line(`${a}.upstream_rq_503`), `${a}.upstream_rq_503: 2`);
  assert.equal(line(`${a}.upstream_rq_2xx`), `${a}.upstream_rq_2xx: 4`);
  assert.equal(line(`${a}.upstream_rq_5xx`), `${a}.upstream_rq_5xx: 2`);
  assert.match(line(`${a}.upstream_rq_time`) ?? '', / count=6 /);
  assert.equal(line(`${b}.upstream_rq_total`), `${b}.upstream_rq_total: 1`);
  assert.equal(line(`${b}.upstream_rq_201`), `${b}.upstream_rq_201: 1`);
  assert.equal(line(`${b}.upstream_rq_2xx`), `${b}.upstream_rq_2xx: 1`);
  // The route without statPrefix keeps no route stats: only the two prefixes appear.
  const prefixes = new Set(stats.split('\n').filter((l) => l.startsWith('vhost.')).map((l) => /\.route\.([^.]+)\./.exec(l)?.[1]));
  assert.deepEqual([...prefixes].sort(), ['ratings-a', 'ratings-b']);

  const prom = await get(`http://${mesh.sidecarIp}:${mesh.proxy.prometheusPort}/stats/prometheus`);
  assert.match(prom, new RegExp(`^envoy_vhost_route_upstream_rq_total\\{virtual_host_name="${VHOST.replace(/\./g, '\\.')}",route_stat_prefix="ratings-a"\\} 6$`, 'm'));
  assert.match(prom, /^envoy_vhost_route_upstream_rq\{response_code="503",virtual_host_name="[^"]+",route_stat_prefix="ratings-a"\} 2$/m);
  assert.match(prom, /^envoy_vhost_route_upstream_rq_time_count\{virtual_host_name="[^"]+",route_stat_prefix="ratings-b"\} 1$/m);
});
