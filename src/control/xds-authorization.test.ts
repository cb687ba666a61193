import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { authorizeXdsNode, authenticateXdsPeer, type PodLookup } from './xds-authorization.js';
import { cacheKey } from './control-plane.js';
import { parseNode, toNodeMessage, type JsonValue } from '../xds/node-info.js';
import type { Workload } from '../registry/types.js';

const SLEEP = 'spiffe://cluster.local/ns/default/sa/sleep';
const node = (id: string, md: Record<string, JsonValue>) => parseNode(toNodeMessage({ id, metadata: md }));
const pods = (list: Partial<Workload>[]): PodLookup => (name, ns) => list.find((w) => w.name === name && w.namespace === ns) as Workload | undefined;

test('a node that fits the identity is admitted with the authenticated namespace, service account and principal', () => {
  const r = authorizeXdsNode(node('sidecar~10.0.0.1~sleep-0.default~default.svc.cluster.local', { LABELS: { app: 'sleep' } }), SLEEP, pods([]));
  assert.ok('node' in r);
  assert.equal(r.node.metadata.NAMESPACE, 'default');
  assert.equal(r.node.metadata.SERVICE_ACCOUNT, 'sleep');
  assert.equal(r.node.principal, SLEEP);
});

test('namespace in the id or metadata, service account, or a known pod of another service account: PERMISSION_DENIED', () => {
  const cases = [
    node('sidecar~10.0.0.1~sleep-0.prod~prod.svc.cluster.local', {}),
    node('sidecar~10.0.0.1~sleep-0.default~default.svc.cluster.local', { NAMESPACE: 'prod' }),
    node('sidecar~10.0.0.1~sleep-0.default~default.svc.cluster.local', { SERVICE_ACCOUNT: 'web' }),
    node('proxyless', { NAMESPACE: 'prod' }),
  ];
  for (const n of cases) {
    const r = authorizeXdsNode(n, SLEEP, pods([]));
    assert.ok('code' in r && r.code === status.PERMISSION_DENIED, JSON.stringify(n));
    assert.match(r.reason, /^XDS_IDENTITY_MISMATCH: .*authenticated as spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
  }
  const r = authorizeXdsNode(node('sidecar~10.0.0.1~web-0.default~default.svc.cluster.local', {}), SLEEP, pods([{ name: 'web-0', namespace: 'default', serviceAccount: 'web', labels: {} }]));
  assert.ok('code' in r && /pod web-0\.default runs as service account web/.test(r.reason));
});

test('a known pod\'s labels replace the claimed ones', () => {
  const r = authorizeXdsNode(node('sidecar~10.0.0.1~sleep-0.default~default.svc.cluster.local', { LABELS: { app: 'admin' } }), SLEEP,
    pods([{ name: 'sleep-0', namespace: 'default', serviceAccount: 'sleep', labels: { app: 'sleep' } }]));
  assert.ok('node' in r);
  assert.deepEqual(r.node.metadata.LABELS, { app: 'sleep' });
});

test('no verified peer certificate: UNAUTHENTICATED', () => {
  const r = authenticateXdsPeer({ getAuthContext: () => ({}) }, 'cluster.local');
  assert.ok('code' in r && r.code === status.UNAUTHENTICATED);
});

test('the translation cache key covers principal and the whole node, not the id alone', () => {
  const id = 'sidecar~10.0.0.1~web-0.default~default.svc.cluster.local';
  const a = node(id, { LABELS: { app: 'web' } });
  const b = node(id, { LABELS: { app: 'other' } });
  assert.notEqual(cacheKey(a), cacheKey(b));
  assert.notEqual(cacheKey({ ...a, principal: 'spiffe://cluster.local/ns/default/sa/web' }), cacheKey(a));
  assert.equal(cacheKey(node(id, { LABELS: { app: 'web' } })), cacheKey(a));
});
