import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, snapshotOf, sidecarOf } from './testing/bookinfo-fixture.js';
import { destinationRuleFor } from './destination-rule-index.js';
import type { MeshSnapshot } from '../../model/snapshot.js';

function dr(name: string, ns: string, host: string, extra = '', ts?: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}${ts ? `, creationTimestamp: "${ts}"` : ''}}
spec:
  host: ${host}
${extra}`;
}

const WORLD = [
  app('reviews', 9080, ['v1', 'v2'], { ns: 'bookinfo' }),
  app('productpage', 9080, ['v1'], { ns: 'frontend' }),
  app('sleep', 80, ['v1'], { ns: 'bookinfo' }),
];

function ruleName(s: MeshSnapshot, deployment: string, ns: string, host = 'reviews.bookinfo.svc.cluster.local'): string | undefined {
  const node = sidecarOf(s, deployment, ns);
  const svc = s.registry.servicesByHost(host)[0]!;
  const r = destinationRuleFor(s, node, svc);
  return r && `${r.namespace}/${r.name}`;
}

test('lookup order: proxy namespace, then service namespace, then root namespace', () => {
  const inRoot = dr('root', 'istio-system', 'reviews.bookinfo.svc.cluster.local');
  const inService = dr('svc', 'bookinfo', 'reviews');
  const inClient = dr('client', 'frontend', 'reviews.bookinfo.svc.cluster.local');
  assert.equal(ruleName(snapshotOf([...WORLD, inRoot]), 'productpage-v1', 'frontend'), 'istio-system/root');
  assert.equal(ruleName(snapshotOf([...WORLD, inRoot, inService]), 'productpage-v1', 'frontend'), 'bookinfo/svc');
  assert.equal(ruleName(snapshotOf([...WORLD, inRoot, inService, inClient]), 'productpage-v1', 'frontend'), 'frontend/client');
  // The client-namespace rule does not leak to proxies of other namespaces.
  assert.equal(ruleName(snapshotOf([...WORLD, inRoot, inService, inClient]), 'sleep-v1', 'bookinfo'), 'bookinfo/svc');
});

test('exportTo "." keeps a rule to its own namespace', () => {
  const priv = dr('svc', 'bookinfo', 'reviews', '  exportTo: ["."]');
  const s = snapshotOf([...WORLD, priv]);
  assert.equal(ruleName(s, 'productpage-v1', 'frontend'), undefined);
  assert.equal(ruleName(s, 'sleep-v1', 'bookinfo'), 'bookinfo/svc');
  const toFrontend = dr('svc', 'bookinfo', 'reviews', '  exportTo: ["frontend"]');
  assert.equal(ruleName(snapshotOf([...WORLD, toFrontend]), 'productpage-v1', 'frontend'), 'bookinfo/svc');
});

test('an exact host beats wildcards, and the most specific wildcard wins', () => {
  const all = dr('all', 'bookinfo', '"*"');
  const ns = dr('ns', 'bookinfo', '"*.bookinfo.svc.cluster.local"');
  const exact = dr('exact', 'bookinfo', 'reviews');
  assert.equal(ruleName(snapshotOf([...WORLD, all]), 'sleep-v1', 'bookinfo'), 'bookinfo/all');
  assert.equal(ruleName(snapshotOf([...WORLD, all, ns]), 'sleep-v1', 'bookinfo'), 'bookinfo/ns');
  assert.equal(ruleName(snapshotOf([...WORLD, all, ns, exact]), 'sleep-v1', 'bookinfo'), 'bookinfo/exact');
});

test('rules for one host in one namespace merge: subsets concatenated, the oldest traffic policy and subset win', () => {
  const older = dr('a-newer-name', 'bookinfo', 'reviews', `  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets:
  - {name: v1, labels: {version: v1}}`, '2024-01-01T00:00:00Z');
  const newer = dr('b', 'bookinfo', 'reviews', `  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - {name: v1, labels: {version: v9}}
  - {name: v2, labels: {version: v2}}`, '2024-02-01T00:00:00Z');
  const s = snapshotOf([...WORLD, newer, older]);
  const r = destinationRuleFor(s, sidecarOf(s, 'sleep-v1', 'bookinfo'), s.registry.servicesByHost('reviews.bookinfo.svc.cluster.local')[0]!)!;
  assert.equal(r.name, 'a-newer-name');
  assert.deepEqual(r.spec.trafficPolicy, { loadBalancer: { simple: 'RANDOM' } });
  assert.deepEqual(r.spec.subsets?.map((x) => [x.name, x.labels?.version]), [['v1', 'v1'], ['v2', 'v2']]);
  assert.deepEqual(r.from.map((x) => x.metadata.name), ['a-newer-name', 'b']);
});

test('a rule with a workloadSelector applies only to the proxies it selects, and only outbound', () => {
  const general = dr('general', 'bookinfo', 'reviews', '  trafficPolicy: {loadBalancer: {simple: RANDOM}}');
  const forSleep = dr('for-sleep', 'bookinfo', 'reviews', `  workloadSelector: {matchLabels: {app: sleep}}
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}`);
  const s = snapshotOf([...WORLD, general, forSleep]);
  const svc = s.registry.servicesByHost('reviews.bookinfo.svc.cluster.local')[0]!;
  assert.equal(destinationRuleFor(s, sidecarOf(s, 'sleep-v1', 'bookinfo'), svc)?.name, 'for-sleep');
  assert.equal(destinationRuleFor(s, sidecarOf(s, 'sleep-v1', 'bookinfo'), svc, 'inbound')?.name, 'general');
  assert.equal(destinationRuleFor(s, sidecarOf(s, 'reviews-v1', 'bookinfo'), svc)?.name, 'general');
  // Selector rules are private to their namespace.
  assert.equal(destinationRuleFor(s, sidecarOf(s, 'productpage-v1', 'frontend'), svc)?.name, 'general');
});
