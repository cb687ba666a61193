/**
 * Push rounds: proxies sent the same content in one push get the same version and nonce (so one
 * response body serves them all), while each stream's versions increase and its nonces never repeat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypeUrl } from '../envoy/type-url.js';
import { encodeResponse, ResourceEncoder } from './ads-wire.js';
import { allSynced, baseConfig, routeConfig, startClient, startServer, until, UpdateLog } from './testing/ads-fixtures.js';

test('encodeResponse shares a large response only for the same header fields and frame objects', () => {
  const encoder = new ResourceEncoder((_t, obj) => Buffer.from(JSON.stringify(obj)));
  const big = encoder.frame(TypeUrl.RouteConfiguration, encoder.encode(TypeUrl.RouteConfiguration, { pad: 'x'.repeat(100_000) }));
  const parts = { versionInfo: '5', typeUrl: TypeUrl.RouteConfiguration, nonce: 'n-1.0', frames: [big], controlPlaneId: 'weft' };
  const a = encodeResponse(parts);
  assert.equal(encodeResponse({ ...parts, frames: [big] }), a, 'same fields, same frames: same bytes');
  const otherNonce = encodeResponse({ ...parts, nonce: 'n-1.1' });
  assert.notEqual(otherNonce, a);
  assert.ok(otherNonce.includes(Buffer.from('n-1.1')) && !otherNonce.includes(Buffer.from('n-1.0')));
  const copy = Buffer.from(big);
  const sameContent = encodeResponse({ ...parts, frames: [copy] });
  assert.notEqual(sameContent, a, 'another frame object is not assumed equal');
  assert.deepEqual(sameContent, a);
  const small = encoder.frame(TypeUrl.RouteConfiguration, encoder.encode(TypeUrl.RouteConfiguration, { n: 1 }));
  assert.notEqual(encodeResponse({ ...parts, frames: [small] }), encodeResponse({ ...parts, frames: [small] }), 'small responses are not kept');
});

test('two proxies get the same version for the same push; versions increase per push', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  t.after(() => server.stop());
  const logs = [new UpdateLog(), new UpdateLog()];
  const clients = logs.map((log, i) => startClient(server.address, `sidecar~127.0.0.${i + 2}~p${i}.default~default.svc.cluster.local`, log));
  t.after(() => clients.forEach((c) => c.close()));
  await until(server, ['ack'], () => allSynced(server, ['CDS', 'EDS', 'LDS', 'RDS'], 2), 'initial sync');
  const before = clients.map((c) => Number(c.version(TypeUrl.RouteConfiguration)));
  for (const round of [1, 2]) {
    config.set(TypeUrl.RouteConfiguration, 'r1', routeConfig('r1', round === 1 ? 'c2' : 'c1'));
    server.push();
    await until(server, ['ack'], () => allSynced(server, ['RDS'], 2) && clients.every((c) => Number(c.version(TypeUrl.RouteConfiguration)) > before[0]! + round - 1), `push ${round}`);
    const versions = clients.map((c) => c.version(TypeUrl.RouteConfiguration));
    assert.equal(versions[0], versions[1], 'same push, same content: same version');
    assert.ok(Number(versions[0]) > Math.max(...before));
    before.fill(Number(versions[0]));
  }
  const nonces = server.status().map((row) => row.types.RDS.sentNonce);
  assert.equal(nonces[0], nonces[1]);
});
