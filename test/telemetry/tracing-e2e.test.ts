/**
 * Trace headers end to end, gateway → sidecar (mTLS) → app, on loopback. Without a tracing provider
 * (Istio's default here) every proxy forwards trace headers untouched and only `x-request-id` is
 * generated; with a Zipkin provider (mesh config `defaultProviders.tracing`, 100 % sampling by
 * Telemetry) a request without context gets B3 headers, and W3C context keeps its trace id while
 * each proxy adds its own span.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request, startTelemetryMesh, waitUntil, type TelemetryMesh } from './mesh-fixture.js';

let plain: TelemetryMesh | undefined;
let traced: TelemetryMesh | undefined;

before(async () => {
  plain = await startTelemetryMesh('127.0.12');
  traced = await startTelemetryMesh('127.0.13', {
    extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }],
    defaultProviders: { tracing: ['zipkin'] },
  });
  await writeFile(path.join(traced.dir, 'telemetry.yaml'), `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  tracing: [{randomSamplingPercentage: 100}]
`);
  const t = traced;
  await waitUntil(() => t.gateway.snapshot().gateways.size > 0 && [...t.gateway.snapshot().gateways.values()].every((g) => g.hcm.tracing?.randomSamplingPct === 100) &&
    [...t.server.snapshot().inboundByPort.values()].every((h) => h.tracing?.randomSamplingPct === 100), 'tracing config');
});

after(async () => {
  await plain?.stop();
  await traced?.stop();
});

const W3C = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('no tracing provider: W3C, tracestate and B3 headers reach the app unchanged; x-request-id is generated', async () => {
  const m = plain!;
  const sent = {
    host: 'web.example', traceparent: W3C, tracestate: 'vendor=opaque', 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
    'x-b3-spanid': 'e457b5a2e4d86bd1', 'x-b3-parentspanid': '05e3ac9a4f6e3b90', 'x-b3-sampled': '1',
  };
  const r = await request(m.ips.gateway, m.gatewayPort, '/web/trace', sent);
  assert.equal(r.status, 200);
  const got = m.seen[m.seen.length - 1]!;
  for (const k of ['traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled'] as const) assert.equal(got[k], sent[k], k);
  assert.match(String(got['x-request-id']), /^[0-9a-f-]{36}$/);
  const bare = await request(m.ips.gateway, m.gatewayPort, '/web/bare', { host: 'web.example' });
  assert.equal(bare.status, 200);
  const none = m.seen[m.seen.length - 1]!;
  assert.equal(none['traceparent'], undefined);
  assert.equal(none['x-b3-traceid'], undefined, 'no tracer, no generated trace');
});

test('an external client\'s request id is replaced at the gateway (Envoy edge rule; preserveExternalRequestId keeps it, test/security/edge-headers.test.ts)', async () => {
  const m = plain!;
  await request(m.ips.gateway, m.gatewayPort, '/web/rid', { host: 'web.example', 'x-request-id': 'my-request-1' });
  const rid = String(m.seen[m.seen.length - 1]!['x-request-id']);
  assert.notEqual(rid, 'my-request-1');
  assert.match(rid, /^[0-9a-f-]{36}$/, 'the gateway\'s id reaches the app through the sidecar');
});

test('Zipkin provider, 100 % sampling: a request without context starts a sampled B3 trace; each hop adds a span', async () => {
  const m = traced!;
  const r = await request(m.ips.gateway, m.gatewayPort, '/web/new', { host: 'web.example' });
  assert.equal(r.status, 200);
  const got = m.seen[m.seen.length - 1]!;
  assert.match(String(got['x-b3-traceid']), /^[0-9a-f]{32}$/);
  assert.match(String(got['x-b3-spanid']), /^[0-9a-f]{16}$/);
  assert.match(String(got['x-b3-parentspanid']), /^[0-9a-f]{16}$/, `the sidecar continued the gateway span: ${JSON.stringify(got)}`);
  assert.notEqual(got['x-b3-parentspanid'], got['x-b3-spanid']);
  assert.equal(got['x-b3-sampled'], '1');
});

test('Zipkin provider: incoming W3C context keeps its trace id and sampling; the app sees a new parent span; tracestate passes', async () => {
  const m = traced!;
  await request(m.ips.gateway, m.gatewayPort, '/web/w3c', { host: 'web.example', traceparent: W3C, tracestate: 'vendor=opaque' });
  const got = m.seen[m.seen.length - 1]!;
  const [v, trace, span, flags] = String(got['traceparent']).split('-');
  assert.deepEqual([v, trace, flags], ['00', '4bf92f3577b34da6a3ce929d0e0e4736', '01']);
  assert.notEqual(span, '00f067aa0ba902b7');
  assert.equal(got['tracestate'], 'vendor=opaque');
  assert.equal(got['x-b3-traceid'], '4bf92f3577b34da6a3ce929d0e0e4736', 'Zipkin writes B3 for the same trace');
});
