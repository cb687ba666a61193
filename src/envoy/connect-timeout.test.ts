import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTimeoutMs } from './connect-timeout.js';

test("connectTimeoutMs: the cluster's connect_timeout, Envoy's 5 s when unset", () => {
  assert.equal(connectTimeoutMs({}), 5000);
  assert.equal(connectTimeoutMs({ connectTimeout: { seconds: 10 } }), 10_000);
  assert.equal(connectTimeoutMs({ connectTimeout: { nanos: 250_000_000 } }), 250);
  assert.equal(connectTimeoutMs({ connectTimeout: { seconds: -1 } }), 5000);
});
