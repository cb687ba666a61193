import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shadowHost } from './mirror.js';

test('shadowHost: -shadow on the host part, before the port', () => {
  assert.equal(shadowHost('httpbin'), 'httpbin-shadow');
  assert.equal(shadowHost('httpbin:8000'), 'httpbin-shadow:8000');
  assert.equal(shadowHost('httpbin.default.svc.cluster.local:8000'), 'httpbin.default.svc.cluster.local-shadow:8000');
  assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
});
