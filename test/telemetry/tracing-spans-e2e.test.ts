/**
 * Spans end to end, on loopback: the telemetry test mesh (gateway → web sidecar (mTLS) → app, and a
 * `sleep` client sidecar) with a Zipkin provider whose collector is a plain node:http server of this
 * test, reached as Istio users declare it: a ServiceEntry with a static 127.0.0.1 endpoint. Each
 * proxy reports Zipkin v2 JSON spans to it through its own cluster; the test decodes what arrived
 * and checks one trace across gateway → sidecar → app → sidecar → sidecar → app (ids, parents,
 * kinds, Istio's span names, Envoy's and Istio's tags, custom tags of every kind), then the
 * Telemetry fields that shape spans (enableIstioTags, disableSpanReporting with match.mode,
 * useRequestIdForTraceSampling, 0 % sampling) and a dead collector (requests unaffected, drops counted).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request, startTelemetryMesh, waitUntil, type TelemetryMesh } from './mesh-fixture.js';
import { stat } from '../security/mtls/mesh-fixture.js';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import type { ZipkinSpan } from '../../src/proxy/tracing/zipkin-span.js';
import { portOf } from '../harness/ports.js';

const COLLECTOR_PORT = portOf(import.meta.url); // 19220, test/harness/ports.ts
const ZIPKIN_HOST = 'zipkin.istio-system.svc.cluster.local';
const COLLECTOR_CLUSTER = `outbound|${COLLECTOR_PORT}||${ZIPKIN_HOST}`;

let m: TelemetryMesh | undefined;
let collector: http.Server | undefined;
const received: ZipkinSpan[] = [];
const reports: { host: string | undefined; contentType: string | undefined; path: string | undefined }[] = [];

const collectorYaml = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: zipkin, namespace: istio-system}
spec:
  hosts: [${ZIPKIN_HOST}]
  location: MESH_INTERNAL
  ports: [{number: ${COLLECTOR_PORT}, name: http-zipkin, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec:
  selector: {app: nobody}
  ports: [{name: http, port: 9080}]
`;

/** The root Telemetry (sampling and custom tags) plus per-workload ones. */
function telemetryYaml(o: { sampling: number; useRequestId?: boolean; webIstioTags?: boolean; sleepDisabledMode: 'SERVER' | 'CLIENT' }): string {
  return `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing:
  - randomSamplingPercentage: ${o.sampling}
${o.useRequestId === undefined ? '' : `    useRequestIdForTraceSampling: ${o.useRequestId}\n`}    customTags:
      custom.literal: {literal: {value: lit-value}}
      custom.env: {environment: {name: WEFT_TRACING_E2E_ENV, defaultValue: unused}}
      custom.env_default: {environment: {name: WEFT_TRACING_E2E_UNSET, defaultValue: env-fallback}}
      custom.header: {header: {name: x-user, defaultValue: anonymous}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  tracing: [{enableIstioTags: ${o.webIstioTags ?? true}}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: sleep, namespace: default}
spec:
  selector: {matchLabels: {app: sleep}}
  tracing: [{match: {mode: ${o.sleepDisabledMode}}, disableSpanReporting: true}]
`;
}

/** Every HCM config a proxy serves, as JSON (to wait for a Telemetry change to arrive). */
function listenersJson(p: ProxyHandle, which: (name: string) => boolean = () => true): string {
  return JSON.stringify([...p.snapshot().resources.listeners.entries()].filter(([n]) => which(n)).map(([, l]) => l));
}

const spansOf = (traceId: string) => received.filter((s) => s.traceId === traceId);
const one = (list: readonly ZipkinSpan[], pred: (s: ZipkinSpan) => boolean, what: string): ZipkinSpan => {
  const found = list.filter(pred);
  assert.equal(found.length, 1, `${what}: ${JSON.stringify(list, null, 1)}`);
  return found[0]!;
};
const header = (h: http.IncomingHttpHeaders, n: string) => String(h[n]);

before(async () => {
  process.env['WEFT_TRACING_E2E_ENV'] = 'from-env';
  delete process.env['WEFT_TRACING_E2E_UNSET'];
  collector = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      reports.push({ host: req.headers.host, contentType: req.headers['content-type'], path: req.url });
      try {
        received.push(...(JSON.parse(body) as ZipkinSpan[]));
        res.writeHead(202);
      } catch {
        res.writeHead(400);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => { collector!.once('error', reject); collector!.listen(COLLECTOR_PORT, '127.0.0.1', () => resolve()); });
  m = await startTelemetryMesh('127.201.1', {
    extensionProviders: [{ name: 'zipkin', zipkin: { service: ZIPKIN_HOST, port: COLLECTOR_PORT, maxTagLength: 40 } }],
    defaultProviders: { tracing: ['zipkin'] },
  });
  const mesh = m;
  await writeFile(path.join(mesh.dir, 'collector.yaml'), collectorYaml);
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 100, sleepDisabledMode: 'SERVER' }));
  const ready = (p: ProxyHandle) => p.snapshot().clusters.get(COLLECTOR_CLUSTER)?.hostSet.hosts.length === 1 && listenersJson(p).includes('custom.literal');
  await waitUntil(() => ready(mesh.gateway) && ready(mesh.server) && ready(mesh.client), 'collector cluster and tracing config on every proxy');
});

after(async () => {
  await m?.stop();
  if (collector?.listening) await new Promise<void>((r) => { collector!.close(() => r()); collector!.closeAllConnections(); });
});

test('one trace gateway → sidecar → app → sidecar → sidecar → app: ids, parents, kinds, names, standard, Istio and custom tags', async () => {
  const mesh = m!;
  const r1 = await request(mesh.ips.gateway, mesh.gatewayPort, '/web/spans?q=1&padding=0123456789abcdefghijklmnop', { host: 'web.example', 'x-user': 'alice', 'user-agent': 'trace-test/1' });
  assert.equal(r1.status, 200);
  const seen1 = mesh.seen[mesh.seen.length - 1]!;
  const traceId = header(seen1, 'x-b3-traceid');
  assert.match(traceId, /^[0-9a-f]{32}$/);
  // The app calls web again through its client sidecar, forwarding the trace headers it received (as Istio asks apps to).
  const fwd: Record<string, string> = { host: 'web:9080' };
  for (const k of ['x-request-id', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled']) fwd[k] = header(seen1, k);
  const r2 = await request(mesh.ips.client, mesh.client.outboundPort(), 'http://web:9080/web/second', fwd);
  assert.equal(r2.status, 200);
  const seen2 = mesh.seen[mesh.seen.length - 1]!;
  await waitUntil(() => spansOf(traceId).length >= 4, 'four spans of the trace at the collector');
  const spans = spansOf(traceId);
  assert.equal(spans.length, 4, JSON.stringify(spans, null, 1));

  const gw = one(spans, (s) => s.localEndpoint.serviceName === 'istio-ingressgateway.istio-system', 'gateway span');
  const web1 = one(spans, (s) => s.kind === 'SERVER' && s.parentId === gw.id, 'web server span under the gateway');
  const sl = one(spans, (s) => s.localEndpoint.serviceName === 'sleep.default', 'sleep client span');
  const web2 = one(spans, (s) => s.kind === 'SERVER' && s.parentId === sl.id, 'web server span under sleep');
  // Kinds and parents: the gateway starts the trace (CLIENT, as Envoy's egress), each sidecar hop is a child.
  assert.equal(gw.kind, 'CLIENT');
  assert.equal(gw.parentId, undefined);
  assert.equal(sl.kind, 'CLIENT');
  assert.equal(sl.parentId, web1.id, 'the app forwarded the web span, so sleep\'s span is its child');
  assert.equal(web1.id, header(seen1, 'x-b3-spanid'), 'the span id the app saw is the web sidecar\'s span');
  assert.equal(header(seen1, 'x-b3-parentspanid'), gw.id);
  assert.equal(web2.id, header(seen2, 'x-b3-spanid'));
  assert.equal(new Set(spans.map((s) => s.id)).size, 4);
  // Istio's operation names: the VirtualService route's decorator at the gateway, `host:port/*` on sidecar routes.
  assert.equal(gw.name, 'web.default.svc.cluster.local:9080/web*');
  assert.equal(web1.name, 'web.default.svc.cluster.local:9080/*');
  assert.equal(sl.name, 'web.default.svc.cluster.local:9080/*');
  assert.equal(web1.localEndpoint.serviceName, 'web.default');
  assert.equal(web1.localEndpoint.ipv4, mesh.ips.server);
  assert.ok(gw.timestamp > Date.now() * 1000 - 120_000_000 && gw.duration >= 1, 'timestamps in microseconds');
  // Envoy's standard tags (http.url cut to the provider's maxTagLength = 40 path characters).
  const t = gw.tags;
  assert.equal(t['http.url'], `http://web.example${'/web/spans?q=1&padding=0123456789abcdefghijklmnop'.slice(0, 40)}`);
  assert.equal(t['http.method'], 'GET');
  assert.equal(t['http.status_code'], '200');
  assert.equal(t['http.protocol'], 'HTTP/1.1');
  assert.equal(t['component'], 'proxy');
  assert.equal(t['node_id'], mesh.gateway.nodeId);
  assert.equal(t['upstream_cluster'], 'outbound|9080||web.default.svc.cluster.local');
  assert.equal(t['upstream_cluster.name'], 'outbound|9080||web.default.svc.cluster.local');
  assert.equal(t['response_flags'], '-');
  assert.equal(t['response_size'], String(Buffer.byteLength(r1.body)));
  assert.equal(t['request_size'], '0');
  assert.equal(t['user_agent'], 'trace-test/1');
  assert.equal(t['downstream_cluster'], '-');
  assert.equal(t['guid:x-request-id'], header(seen1, 'x-request-id'));
  assert.match(String(t['peer.address']), /^127\.\d+\.\d+\.\d+:\d+$/);
  assert.equal(t['zone'], '');
  assert.equal(t['error'], undefined);
  assert.match(String(web1.tags['upstream_cluster']), /^inbound\|9080\|/);
  assert.equal(web1.tags['node_id'], mesh.server.nodeId);
  // Istio's tags, per proxy.
  assert.deepEqual(
    [t['istio.canonical_service'], t['istio.canonical_revision'], t['istio.namespace'], t['istio.mesh_id'], t['istio.cluster_id']],
    ['istio-ingressgateway', 'latest', 'istio-system', 'cluster.local', 'Kubernetes'],
  );
  assert.deepEqual([web1.tags['istio.canonical_service'], web1.tags['istio.canonical_revision'], web1.tags['istio.namespace']], ['web', 'v1', 'default']);
  assert.equal(sl.tags['istio.canonical_service'], 'sleep');
  // Custom tags of every kind: literal, environment (set / default), request header (set / default).
  for (const s of [gw, web1]) {
    assert.deepEqual([s.tags['custom.literal'], s.tags['custom.env'], s.tags['custom.env_default'], s.tags['custom.header']], ['lit-value', 'from-env', 'env-fallback', 'alice'], s.name);
  }
  for (const s of [sl, web2]) assert.equal(s.tags['custom.header'], 'anonymous', 'x-user was not forwarded: the default value');
  // The reports themselves: Zipkin v2 JSON to collector_endpoint with collector_hostname as Host.
  assert.ok(reports.length > 0 && reports.every((r) => r.path === '/api/v2/spans' && r.contentType === 'application/json' && r.host === ZIPKIN_HOST), JSON.stringify(reports));
});

test('a 5xx is an error span with its response flag', async () => {
  const mesh = m!;
  const traceId = 'a1'.repeat(16);
  const r = await request(mesh.ips.client, mesh.client.outboundPort(), 'http://empty:9080/x', { host: 'empty:9080', 'x-b3-traceid': traceId, 'x-b3-spanid': 'b2'.repeat(8), 'x-b3-sampled': '1' });
  assert.equal(r.status, 503);
  await waitUntil(() => spansOf(traceId).length >= 1, 'the error span');
  const s = one(spansOf(traceId), () => true, 'error span');
  assert.equal(s.parentId, 'b2'.repeat(8));
  assert.deepEqual([s.kind, s.tags['error'], s.tags['http.status_code'], s.tags['response_flags']], ['CLIENT', 'true', '503', 'UH']);
});

test('enableIstioTags false on one workload drops its istio.* tags; disableSpanReporting with match.mode CLIENT silences only the client side', async () => {
  const mesh = m!;
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 100, webIstioTags: false, sleepDisabledMode: 'CLIENT' }));
  await waitUntil(() => !listenersJson(mesh.server).includes('istio.canonical_service') && !listenersJson(mesh.client, (n) => n !== 'virtualInbound').includes('envoy.tracers.zipkin'), 'new Telemetry on web and sleep');
  assert.ok(listenersJson(mesh.gateway).includes('istio.canonical_service'), 'the gateway is not selected');
  const r1 = await request(mesh.ips.gateway, mesh.gatewayPort, '/web/notags', { host: 'web.example', 'x-user': 'bob' });
  assert.equal(r1.status, 200);
  const traceId = header(mesh.seen[mesh.seen.length - 1]!, 'x-b3-traceid');
  await waitUntil(() => spansOf(traceId).length >= 2, 'gateway and web spans');
  const gw = one(spansOf(traceId), (s) => s.kind === 'CLIENT', 'gateway span');
  const web = one(spansOf(traceId), (s) => s.kind === 'SERVER', 'web span');
  assert.equal(gw.tags['istio.canonical_service'], 'istio-ingressgateway');
  assert.deepEqual(Object.keys(web.tags).filter((k) => k.startsWith('istio.')), [], JSON.stringify(web.tags));
  assert.equal(web.tags['custom.header'], 'bob', 'custom tags still come from the root namespace');

  // sleep's outbound has no tracer now: its headers pass untouched and it reports nothing; web still does.
  const trace2 = 'c3'.repeat(16);
  const r2 = await request(mesh.ips.client, mesh.client.outboundPort(), 'http://web:9080/web/nosleep', { host: 'web:9080', 'x-b3-traceid': trace2, 'x-b3-spanid': 'd4'.repeat(8), 'x-b3-sampled': '1' });
  assert.equal(r2.status, 200);
  await waitUntil(() => spansOf(trace2).length >= 1, 'web span of the second trace');
  const web2 = one(spansOf(trace2), () => true, 'only the web span');
  assert.deepEqual([web2.kind, web2.parentId], ['SERVER', 'd4'.repeat(8)]);
});

test('useRequestIdForTraceSampling: one x-request-id pins the 50 % decision; false draws per request', async () => {
  const mesh = m!;
  const decisions = async (): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await request(mesh.ips.gateway, mesh.gatewayPort, `/web/rid${i}`, { host: 'web.example' });
      assert.equal(r.status, 200);
      out.push(header(mesh.seen[mesh.seen.length - 1]!, 'x-b3-sampled'));
    }
    return out;
  };
  // A sidecar keeps its caller's x-request-id (the gateway replaces it): sleep's outbound has no tracer now, so web's inbound decides.
  const viaSleep = async (): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await request(mesh.ips.client, mesh.client.outboundPort(), `http://web:9080/web/rid${i}`, { host: 'web:9080', 'x-request-id': 'f00dfeed-0000-4000-8000-000000000001' });
      assert.equal(r.status, 200);
      out.push(header(mesh.seen[mesh.seen.length - 1]!, 'x-b3-sampled'));
    }
    return out;
  };
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 50, webIstioTags: false, sleepDisabledMode: 'CLIENT' }));
  await waitUntil(() => listenersJson(mesh.server).includes('"randomSampling":{"value":50}'), 'sampling 50 %');
  const pinned = await viaSleep();
  assert.equal(new Set(pinned).size, 1, `same request id, same decision: ${pinned.join(',')}`);
  const fresh = await decisions();
  assert.equal(new Set(fresh).size, 2, `fresh request ids at 50 %: ${fresh.join(',')}`);
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 50, useRequestId: false, webIstioTags: false, sleepDisabledMode: 'CLIENT' }));
  await waitUntil(() => listenersJson(mesh.server).includes('"useRequestIdForTraceSampling":{"value":false}'), 'useRequestIdForTraceSampling false');
  const drawn = await viaSleep();
  assert.equal(new Set(drawn).size, 2, `same request id, random draws: ${drawn.join(',')}`);
});

test('0 % sampling sends no spans (a forced-sampled request still does)', async () => {
  const mesh = m!;
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 0, sleepDisabledMode: 'CLIENT' }));
  await waitUntil(() => listenersJson(mesh.gateway).includes('"randomSampling":{"value":0}') && listenersJson(mesh.server).includes('"randomSampling":{"value":0}'), 'sampling 0 %');
  const before = received.length;
  for (let i = 0; i < 5; i++) assert.equal((await request(mesh.ips.gateway, mesh.gatewayPort, `/web/unsampled${i}`, { host: 'web.example' })).status, 200);
  assert.equal(mesh.seen[mesh.seen.length - 1]!['x-b3-sampled'], '0');
  // A marker request the client samples itself: once its spans from both proxies arrived, anything queued before them has too (FIFO reports).
  const marker = 'e5'.repeat(16);
  await request(mesh.ips.gateway, mesh.gatewayPort, '/web/marker', { host: 'web.example', 'x-b3-traceid': marker, 'x-b3-spanid': 'f6'.repeat(8), 'x-b3-sampled': '1' });
  await waitUntil(() => spansOf(marker).length >= 2, 'marker spans');
  const after = received.slice(before);
  assert.deepEqual(after.filter((s) => String(s.tags['http.url']).includes('/web/unsampled')), [], 'no span of an unsampled request');
  assert.equal(spansOf(marker).length, 2);
});

test('collector down: requests still succeed and the proxies count the dropped spans', async () => {
  const mesh = m!;
  await writeFile(path.join(mesh.dir, 'telemetry.yaml'), telemetryYaml({ sampling: 100, sleepDisabledMode: 'CLIENT' }));
  await waitUntil(() => listenersJson(mesh.gateway).includes('"randomSampling":{"value":100}') && listenersJson(mesh.server).includes('"randomSampling":{"value":100}'), 'sampling 100 %');
  await new Promise<void>((r) => { collector!.close(() => r()); collector!.closeAllConnections(); });
  const dropped0 = await stat(mesh.gateway, mesh.ips.gateway, 'tracing.zipkin.spans_dropped');
  const count = received.length;
  for (let i = 0; i < 12; i++) assert.equal((await request(mesh.ips.gateway, mesh.gatewayPort, `/web/down${i}`, { host: 'web.example' })).status, 200);
  await waitUntil(async () => (await stat(mesh.gateway, mesh.ips.gateway, 'tracing.zipkin.spans_dropped')) >= dropped0 + 12 &&
    (await stat(mesh.server, mesh.ips.server, 'tracing.zipkin.spans_dropped')) >= 12, 'gateway and sidecar drops counted', 15_000);
  assert.ok((await stat(mesh.gateway, mesh.ips.gateway, 'tracing.zipkin.reports_failed')) >= 1);
  assert.equal(received.length, count);
});
