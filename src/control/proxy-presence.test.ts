import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyPresence } from './proxy-presence.js';

const A = 'sidecar~127.10.0.2~web-v1-0.default~default.svc.cluster.local';
const B = 'router~127.10.0.1~istio-ingressgateway-0.istio-system~istio-system.svc.cluster.local';

test('a proxy whose last stream ended is disconnected, with the version it ACKed, until it reconnects', () => {
  const p = new ProxyPresence();
  p.connected(A);
  p.acked(A, '7');
  assert.deepEqual(p.disconnectedProxies(), []);
  p.disconnected(A, '', false);
  const [lost] = p.disconnectedProxies();
  assert.equal(lost?.id, A);
  assert.equal(lost?.ackedVersion, '7');
  assert.ok(!Number.isNaN(Date.parse(lost!.disconnectedAt)));
  p.connected(A);
  assert.deepEqual(p.disconnectedProxies(), []);
});

test('a stream that ends while another stream of the same proxy is open does not count', () => {
  const p = new ProxyPresence();
  p.connected(B);
  p.disconnected(B, 'gw', true);
  assert.deepEqual(p.disconnectedProxies(), []);
});

test('proxies the caller no longer expects are forgotten', () => {
  const p = new ProxyPresence();
  p.disconnected(A, '', false);
  p.disconnected(B, '', false);
  assert.deepEqual(p.disconnectedProxies((id) => id === B).map((x) => x.id), [B]);
  assert.deepEqual(p.disconnectedProxies().map((x) => x.id), [B]);
});
