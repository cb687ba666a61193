import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyConfigSection, proxyConfigTarget } from './proxy-config-target.js';

test('istioctl singular spellings and short aliases name the same sections as the plurals', () => {
  for (const [words, section] of [
    [['cluster', 'clusters', 'c', 'CLUSTER'], 'clusters'],
    [['listener', 'listeners', 'l'], 'listeners'],
    [['route', 'routes', 'r'], 'routes'],
    [['endpoint', 'endpoints', 'ep'], 'endpoints'],
    [['secret', 'secrets', 's'], 'secrets'],
    [['all', 'a'], 'all'],
  ] as const) for (const w of words) assert.equal(proxyConfigSection(w), section, w);
  assert.equal(proxyConfigSection('bootstrap'), undefined);
  assert.equal(proxyConfigSection('constructor'), undefined);
});

test('POD.NS names its namespace; POD takes -n, else default', () => {
  assert.equal(proxyConfigTarget('web-0', undefined), 'web-0.default');
  assert.equal(proxyConfigTarget('web-0', 'shop'), 'web-0.shop');
  assert.equal(proxyConfigTarget('istio-ingressgateway-0.istio-system', 'shop'), 'istio-ingressgateway-0.istio-system');
});
