import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { onSocketTimeout } from './hcm/connection-manager.js';
import { HttpListener } from './listener/http-server.js';
import { downstreamTimeouts } from './listener/runtime-snapshot.js';

test('HCM timeouts: Envoy defaults (stream idle 5 min, idle 1 h) and Weft\'s 60 s request-headers default', () => {
  assert.deepEqual(downstreamTimeouts({}), { streamIdleTimeoutMs: 300_000, requestHeadersTimeoutMs: 60_000, idleTimeoutMs: 3_600_000 });
  assert.deepEqual(downstreamTimeouts({ streamIdleTimeout: { seconds: 1 }, requestHeadersTimeout: { seconds: 2 }, commonHttpProtocolOptions: { idleTimeout: { seconds: 3 } } }),
    { streamIdleTimeoutMs: 1000, requestHeadersTimeoutMs: 2000, idleTimeoutMs: 3000 });
});

test('an idle downstream connection is closed after the idle timeout', async () => {
  const l = new HttpListener((_req, res) => res.end('ok'), { onSocketTimeout });
  l.configure({ idleTimeoutMs: 150, streamIdleTimeoutMs: 10_000 });
  const port = await l.listen('127.0.0.1', 0);
  try {
    const started = performance.now();
    const closed = await new Promise<number>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', reject);
      s.on('close', () => resolve(performance.now() - started));
      s.resume();
    });
    assert.ok(closed >= 100 && closed < 5000, `closed after ${closed} ms`);
  } finally {
    await l.close(100);
  }
});
