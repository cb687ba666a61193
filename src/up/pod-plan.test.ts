import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podEnvironment, type PodPlan } from './pod-plan.js';

const PLAN: PodPlan = {
  name: 'web-0', namespace: 'default', deployment: 'web', labels: { app: 'web' }, serviceAccount: 'web',
  argv: ['node', 'app.js'], env: [], ports: [8080], cwd: '/tmp', specKey: 'k',
};

test("podEnvironment: an app never inherits the operator's API token (or proxy settings)", () => {
  const env = podEnvironment(PLAN, { podIp: '127.10.0.2', appHost: '127.11.0.2', outboundProxy: 'http://127.10.0.2:15001' }, [], {
    WEFT_API_TOKEN: 'operator-secret',
    HTTPS_PROXY: 'http://corp:3128',
    LANG: 'C.UTF-8',
  });
  assert.equal(env.WEFT_API_TOKEN, undefined);
  assert.equal(env.HTTPS_PROXY, undefined);
  assert.equal(env.LANG, 'C.UTF-8');
  assert.equal(env.POD_NAME, 'web-0');
});
