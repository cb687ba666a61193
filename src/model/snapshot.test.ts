import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTexts } from '../config/load.js';
import { buildSnapshot } from './snapshot.js';
import { hostMatches, hostsIntersect, parseExportTo, resolveHost } from '../config/hosts.js';
import { parseProxyId, proxyId } from './proxy-node.js';

const YAML = `
apiVersion: v1
kind: Service
metadata: {name: a, namespace: ns1, annotations: {networking.istio.io/exportTo: "."}}
spec: {selector: {app: a}, ports: [{name: http, port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: ns1, creationTimestamp: "2024-02-01T00:00:00Z"}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: ns2, creationTimestamp: "2024-01-01T00:00:00Z"}
spec: {hosts: [b], http: [{route: [{destination: {host: b}}]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: untimed, namespace: ns0}
spec: {hosts: [c], http: [{route: [{destination: {host: c}}]}]}
`;

test('resources of a kind come in Istio conflict order: oldest first, untimed last', () => {
  const snap = buildSnapshot({ resources: loadTexts([{ file: 's.yaml', text: YAML }]).resources });
  assert.deepEqual(snap.list('VirtualService').map((r) => r.metadata.name), ['older', 'newer', 'untimed']);
  assert.equal(snap.get('VirtualService', 'ns1', 'newer')?.metadata.name, 'newer');
});

test('exportTo "." hides a service from other namespaces', () => {
  const snap = buildSnapshot({ resources: loadTexts([{ file: 's.yaml', text: YAML }]).resources });
  assert.equal(snap.visibleServices('a.ns1.svc.cluster.local', 'ns1').length, 1);
  assert.equal(snap.visibleServices('a.ns1.svc.cluster.local', 'ns2').length, 0);
  assert.equal(snap.resolveHost('a', 'ns1'), 'a.ns1.svc.cluster.local');
});

test('host rules: short names expand, dotted names and wildcards stay, wildcard matching', () => {
  assert.equal(resolveHost('reviews', 'default'), 'reviews.default.svc.cluster.local');
  assert.equal(resolveHost('reviews.default', 'x'), 'reviews.default');
  assert.equal(resolveHost('*.example.com', 'x'), '*.example.com');
  assert.ok(hostMatches('*.example.com', 'api.example.com'));
  assert.ok(!hostMatches('*.example.com', 'example.com'));
  assert.ok(hostMatches('*', 'anything'));
  assert.ok(hostsIntersect('api.example.com', '*.example.com'));
  assert.ok(hostMatches('*.com', '*.example.com'));
  assert.ok(!hostMatches('*.example.com', '*.com'));
  assert.equal(parseExportTo(undefined, 'ns'), '*');
  assert.deepEqual([...(parseExportTo(['.', 'other'], 'ns') as Set<string>)], ['ns', 'other']);
  assert.deepEqual([...(parseExportTo(['~'], 'ns') as Set<string>)], []);
});

test('proxy ids follow istiod and parse back', () => {
  const id = proxyId('sidecar', '127.1.0.4', 'reviews-v2-0', 'default');
  assert.equal(id, 'sidecar~127.1.0.4~reviews-v2-0.default~default.svc.cluster.local');
  assert.deepEqual(parseProxyId(id), { role: 'sidecar', ip: '127.1.0.4', podName: 'reviews-v2-0', namespace: 'default' });
  assert.equal(parseProxyId('nonsense'), undefined);
});

test('a snapshot reuses the previous registry only while its inputs are the same objects', () => {
  const resources = loadTexts([{ file: 's.yaml', text: YAML }]).resources;
  const first = buildSnapshot({ resources });
  const vsOnly = resources.map((r) => (r.metadata.name === 'newer' ? { ...r, spec: { hosts: ['a'], http: [] } } : r));
  const second = buildSnapshot({ resources: vsOnly, previous: first });
  assert.equal(second.registry, first.registry, 'a VirtualService change keeps the registry');
  assert.notEqual(buildSnapshot({ resources: vsOnly }).registry, first.registry, 'no previous, no reuse');
  const reparsed = loadTexts([{ file: 's.yaml', text: YAML }]).resources;
  assert.notEqual(buildSnapshot({ resources: reparsed, previous: second }).registry, second.registry, 'a re-read Service is another object');
  const newNamespace = [...vsOnly, { ...vsOnly.find((r) => r.kind === 'VirtualService')!, metadata: { ...vsOnly[1]!.metadata, name: 'x', namespace: 'ns9' } }];
  const third = buildSnapshot({ resources: newNamespace, previous: second });
  assert.notEqual(third.registry, second.registry, 'a new namespace changes the registry');
  assert.ok(third.registry.namespaces.has('ns9'));
  const unhealthy = buildSnapshot({ resources: vsOnly, previous: second, registry: { isHealthy: () => false } });
  assert.notEqual(unhealthy.registry, second.registry, 'other registry options rebuild it');
});
