/**
 * Metrics against the real tools: after mixed traffic through a running mesh (gateway → sidecar →
 * app over mTLS, a client sidecar, 200 / 404 NR / 503 UH replies), every proxy's `/stats/prometheus`
 * passes `promtool check metrics` (no parse errors; the only lint findings allowed are the metric
 * names Istio and Envoy fix themselves), and a real Prometheus server, started on loopback with a
 * temporary config and storage, scrapes the gateway, the sidecars (`:15090`-style listeners) and the
 * control plane's `/metrics`, and its query API returns `istio_requests_total` for both reporters
 * with Istio's labels. Skipped only when the binaries are missing outside CI (`CI=true` runs them).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ISTIO_LABELS } from '../../src/proxy/stats/proxy-stats.js';
import { request, startTelemetryMesh, waitUntil, type TelemetryMesh } from './mesh-fixture.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const IN_CI = process.env['CI'] === 'true';

function needs(t: TestContext, bin: string): boolean {
  if (has(bin)) return true;
  if (IN_CI) assert.fail(`${bin} is not installed (CI installs the Debian package prometheus in .ci/run)`);
  t.skip(`${bin} not installed`);
  return false;
}

let mesh: TelemetryMesh | undefined;
let tmp = '';

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'weft-prom-'));
  mesh = await startTelemetryMesh('127.0.11');
  const m = mesh;
  // Mixed traffic: through the gateway (200 and 404 NR), through the client sidecar (200, 404, 503 UH).
  for (let i = 0; i < 5; i++) assert.equal((await request(m.ips.gateway, m.gatewayPort, `/web/${i}`, { host: 'web.example' })).status, 200);
  assert.equal((await request(m.ips.gateway, m.gatewayPort, '/elsewhere', { host: 'web.example' })).status, 404);
  for (let i = 0; i < 3; i++) assert.equal((await request(m.ips.client, m.client.outboundPort(), `http://web:9080/c${i}`, { host: 'web:9080' })).status, 200);
  await writeFile(path.join(m.dir, 'empty.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: empty, namespace: default}\nspec:\n  selector: {app: nothing}\n  ports: [{name: http, port: 9080}]\n');
  await waitUntil(() => m.client.snapshot().clusters.has('outbound|9080||empty.default.svc.cluster.local'), 'empty service');
  assert.equal((await request(m.ips.client, m.client.outboundPort(), 'http://empty:9080/', { host: 'empty:9080' })).status, 503);
});

after(async () => {
  await mesh?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function exposition(ip: string, port: number): Promise<string> {
  const r = await request(ip, port, '/stats/prometheus');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return r.body;
}

/** Lint findings that come from names Istio's and Envoy's contracts fix (Envoy counters lack `_total`; Istio's duration is in ms). */
const ALLOWED_LINT = /^(envoy_[a-z0-9_]+ counter metrics should have "_total" suffix|istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds")$/;

test('promtool check metrics passes on every proxy exposition after mixed traffic', (t) => {
  if (!needs(t, 'promtool')) return;
  return (async () => {
    const m = mesh!;
    for (const [name, ip, port] of [['gateway', m.ips.gateway, m.gateway.prometheusPort], ['server sidecar', m.ips.server, m.server.prometheusPort], ['client sidecar', m.ips.client, m.client.prometheusPort]] as const) {
      const text = await exposition(ip, port);
      assert.match(text, /^istio_requests_total\{/m, `${name} has istio_requests_total`);
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 15_000 });
      const findings = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
      assert.ok(r.status === 0 || r.status === 3, `${name}: promtool exit ${r.status}: ${findings.join('\n')}`);
      const unexpected = findings.filter((l) => !ALLOWED_LINT.test(l));
      assert.deepEqual(unexpected, [], `${name}: promtool findings beyond the contract's metric names`);
      t.diagnostic(`${name}: promtool exit ${r.status}, ${findings.length} naming findings (Envoy/Istio names), 0 errors`);
    }
  })();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface PromResult { metric: Record<string, string>; value: [number, string] }

async function query(port: number, q: string): Promise<PromResult[]> {
  const r = await request('127.0.0.1', port, `/api/v1/query?query=${encodeURIComponent(q)}`);
  if (r.status !== 200) return [];
  const body = JSON.parse(r.body) as { status: string; data: { result: PromResult[] } };
  return body.status === 'success' ? body.data.result : [];
}

test('a real Prometheus scrapes the mesh and its query API returns istio_requests_total for both reporters', (t) => {
  if (!needs(t, 'prometheus')) return;
  return (async () => {
    const m = mesh!;
    const port = await freePort();
    const targets = [`${m.ips.gateway}:${m.gateway.prometheusPort}`, `${m.ips.server}:${m.server.prometheusPort}`, `${m.ips.client}:${m.client.prometheusPort}`];
    const config = `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
- job_name: weft-proxies
  metrics_path: /stats/prometheus
  static_configs: [{targets: [${targets.map((x) => `'${x}'`).join(', ')}]}]
- job_name: weft-control
  metrics_path: /metrics
  static_configs: [{targets: ['127.0.0.1:${m.cpHttpPort}']}]
`;
    await writeFile(path.join(tmp, 'prometheus.yml'), config);
    let prom: ChildProcess | undefined;
    let log = '';
    try {
      prom = spawn('prometheus', [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      prom.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      prom.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
      await waitUntil(async () => (await request('127.0.0.1', port, '/-/ready').catch(() => ({ status: 0 }))).status === 200, `prometheus ready (${log.slice(-500)})`, 30_000);
      // Every target scraped successfully (a malformed exposition would make `up` 0).
      await waitUntil(async () => {
        const up = await query(port, 'up');
        return up.length === 4 && up.every((s) => s.value[1] === '1');
      }, 'all four targets up', 30_000);
      let dest: PromResult[] = [];
      await waitUntil(async () => (dest = await query(port, 'istio_requests_total{reporter="destination"}')).length > 0, 'destination series', 30_000);
      const src = await query(port, 'istio_requests_total{reporter="source"}');
      t.diagnostic(`prometheus: ${dest.length} destination and ${src.length} source series of istio_requests_total`);
      for (const s of [...dest, ...src]) for (const l of ISTIO_LABELS) if (l !== 'grpc_response_status') assert.ok(l in s.metric, `label ${l} on ${JSON.stringify(s.metric)}`);
      const d200 = dest.find((s) => s.metric['response_code'] === '200' && s.metric['destination_workload'] === 'web-v1');
      assert.ok(d200, `a 200 series reported by the web sidecar: ${JSON.stringify(dest.map((s) => s.metric))}`);
      assert.equal(d200.metric['destination_canonical_service'], 'web');
      assert.equal(d200.metric['destination_service'], 'web.default.svc.cluster.local');
      assert.equal(d200.metric['connection_security_policy'], 'mutual_tls');
      assert.equal(d200.metric['request_protocol'], 'http');
      assert.equal(d200.metric['destination_cluster'], 'Kubernetes');
      const ok200 = dest.filter((s) => s.metric['response_code'] === '200');
      assert.ok(ok200.reduce((n, s) => n + Number(s.value[1]), 0) >= 9, 'gateway and client requests counted at the destination');
      assert.deepEqual(ok200.map((s) => s.metric['source_principal']).sort(),
        ['spiffe://cluster.local/ns/default/sa/sleep', 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'], 'mTLS peers as source_principal');
      const viaGateway = src.find((s) => s.metric['source_workload'] === 'istio-ingressgateway' && s.metric['response_code'] === '200');
      assert.ok(viaGateway, `the gateway reports as source: ${JSON.stringify(src.map((s) => s.metric))}`);
      assert.equal(viaGateway.metric['destination_workload'], 'web-v1');
      assert.equal(viaGateway.metric['destination_principal'], 'spiffe://cluster.local/ns/default/sa/web');
      assert.equal(viaGateway.metric['source_cluster'], 'Kubernetes');
      assert.ok(src.some((s) => s.metric['response_flags'] === 'NR' && s.metric['response_code'] === '404'), 'NR counted');
      assert.ok(src.some((s) => s.metric['response_flags'] === 'UH' && s.metric['response_code'] === '503' && s.metric['source_workload'] === 'sleep'), 'UH counted');
      const dur = await query(port, 'istio_request_duration_milliseconds_bucket{reporter="destination",le="+Inf"}');
      assert.ok(dur.length > 0, 'duration histogram scraped');
    } finally {
      if (prom && prom.exitCode === null) {
        const exited = new Promise<void>((r) => prom!.once('exit', () => r()));
        process.kill(prom.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (prom.exitCode === null) process.kill(prom.pid!, 'SIGKILL');
      }
    }
  })();
});
