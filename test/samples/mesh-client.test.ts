/**
 * The samples' shared mesh client: NO_PROXY matching, the route a URL takes with and without a
 * proxy, proxy-form requests, timeouts, and errors instead of crashes.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { MeshCallError, MeshClient } from '../../samples/shared/mesh-client.js';
import { NoProxyList } from '../../samples/shared/no-proxy.js';
import { startStandIn, type StandIn } from './sample-process.js';

const standIns: StandIn[] = [];
after(() => Promise.all(standIns.map((s) => s.close())));

test('NO_PROXY matches names, subdomains, IPs, CIDRs, ports and *', () => {
  const list = new NoProxyList('localhost, .example.com,127.0.0.0/8,::1,internal:8080');
  assert.ok(list.matches('localhost', 80));
  assert.ok(list.matches('a.example.com', 80));
  assert.ok(list.matches('example.com', 80));
  assert.ok(!list.matches('badexample.com', 80));
  assert.ok(list.matches('127.10.0.5', 9080));
  assert.ok(!list.matches('128.0.0.1', 9080));
  assert.ok(list.matches('[::1]', 80));
  assert.ok(list.matches('internal', 8080));
  assert.ok(!list.matches('internal', 9080));
  assert.ok(!list.matches('reviews', 9080));
  assert.ok(new NoProxyList('*').matches('reviews', 9080));
  assert.ok(!new NoProxyList(undefined).matches('localhost', 80));
});

test('routes through the proxy unless NO_PROXY says otherwise; direct without a proxy', () => {
  const meshed = MeshClient.fromEnv({ HTTP_PROXY: 'http://127.10.0.5:15001', NO_PROXY: '127.0.0.1,localhost' });
  assert.deepEqual(meshed.route(new URL('http://reviews:9080/reviews/0')), { via: 'proxy', host: '127.10.0.5', port: 15001 });
  assert.deepEqual(meshed.route(new URL('http://127.0.0.1:4000/')), { via: 'direct', host: '127.0.0.1', port: 4000 });
  const lower = MeshClient.fromEnv({ http_proxy: '127.10.0.6:15001' });
  assert.deepEqual(lower.route(new URL('http://details/x')), { via: 'proxy', host: '127.10.0.6', port: 15001 });
  const plain = MeshClient.fromEnv({});
  assert.deepEqual(plain.route(new URL('http://details:9080/')), { via: 'direct', host: 'details', port: 9080 });
  for (const c of [meshed, lower, plain]) c.close();
});

test('sends proxy-form requests with the Host of the target and reuses connections', async () => {
  const proxy = await startStandIn((req, res) => res.end(`${req.method} ${req.url}`));
  standIns.push(proxy);
  const client = new MeshClient({ proxy: `http://127.0.0.1:${proxy.port}` });
  try {
    const a = await client.get('http://reviews:9080/reviews/0?x=1', { 'x-request-id': 'r1' }, 2_000);
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'GET http://reviews:9080/reviews/0?x=1');
    const b = await client.request('http://ratings:9080/ratings/0', { method: 'POST', body: '{}', timeoutMs: 2_000 });
    assert.equal(b.body.toString(), 'POST http://ratings:9080/ratings/0');
    assert.equal(proxy.requests[0]!.headers.host, 'reviews:9080');
    assert.equal(proxy.requests[0]!.headers['x-request-id'], 'r1');
    assert.equal(proxy.requests[1]!.headers.host, 'ratings:9080');
    assert.equal(proxy.connections(), 1, 'one kept-alive connection to the sidecar');
  } finally {
    client.close();
  }
});

test('a timeout, a refused connection and a bad URL reject with MeshCallError', async () => {
  const hang = await startStandIn(() => undefined);
  standIns.push(hang);
  const client = new MeshClient();
  try {
    await assert.rejects(client.get(`${hang.url}/`, {}, 100), (e: unknown) => e instanceof MeshCallError && e.kind === 'timeout');
    const closed = await startStandIn(() => undefined);
    await closed.close();
    await assert.rejects(client.get(`${closed.url}/`, {}, 2_000), (e: unknown) => e instanceof MeshCallError && e.kind === 'connect');
    await assert.rejects(client.get('not a url', {}, 100), (e: unknown) => e instanceof MeshCallError && e.kind === 'invalid-url');
    await assert.rejects(client.get('https://example.com/', {}, 100), (e: unknown) => e instanceof MeshCallError && e.kind === 'invalid-url');
  } finally {
    client.close();
  }
});
