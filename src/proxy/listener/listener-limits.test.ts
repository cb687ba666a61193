import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { DEFAULT_MAX_CONNECTIONS_PER_LISTENER, effectiveConnectionLimit, listenerStatAddress } from './listener-limits.js';
import { HttpListener } from './http-server.js';

test('connection limit: default, explicit, 0 = none', () => {
  assert.equal(effectiveConnectionLimit(undefined), DEFAULT_MAX_CONNECTIONS_PER_LISTENER);
  assert.equal(effectiveConnectionLimit(25.7), 25);
  assert.equal(effectiveConnectionLimit(0), undefined);
  assert.equal(effectiveConnectionLimit(-1), undefined);
  assert.equal(effectiveConnectionLimit(Number.NaN), undefined);
});

test('listener stat addresses are Envoy\'s ip_port', () => {
  assert.equal(listenerStatAddress('127.0.0.1', 15001), '127.0.0.1_15001');
  assert.equal(listenerStatAddress('[::1]', 80), '::1_80');
});

test('an HttpListener at its limit closes new connections and reports each', async () => {
  let overflow = 0;
  const l = new HttpListener((_req, res) => res.end('ok'), { maxConnections: 2, onOverflow: () => overflow++ });
  const port = await l.listen('127.0.0.1', 0);
  const open = () => new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const held = [await open(), await open()];
  const extra = await open();
  await new Promise<void>((resolve) => extra.once('close', () => resolve()));
  assert.equal(overflow, 1);
  assert.ok(held.every((s) => !s.destroyed));
  for (const s of held) s.destroy();
  await l.close(100);
});
