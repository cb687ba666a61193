/**
 * Per-proxy locality priorities and weights in EDS, as istiod's loadbalancer.go computes them
 * (applyLocalityFailover, applyLocalityWeights, applyFailoverPriorities, GetLocalityLbSetting), and
 * where localities come from (ServiceEntry/WorkloadEntry `locality`, topology labels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterLoadAssignment } from '../../envoy/types.js';
import { meshConfigWith, type MeshConfig } from '../../config/mesh-config.js';
import type { ProxyNode } from '../../model/proxy-node.js';
import { SharedTranslator } from '../shared-translation.js';
import { snapshotOf } from './testing/bookinfo-fixture.js';
import { buildClusterLoadAssignment } from './index.js';
import { localityMatch, lbPriority } from './locality-lb.js';
import { splitLocality } from '../../registry/locality.js';

const HOST = 'svc.example.com';
const CLUSTER = `outbound|80||${HOST}`;

function entry(endpoints: ReadonlyArray<{ ip: string; locality?: string; labels?: Record<string, string>; weight?: number }>): string {
  const eps = endpoints.map((e) => `  - address: ${e.ip}${e.locality ? `\n    locality: ${e.locality}` : ''}${e.weight ? `\n    weight: ${e.weight}` : ''}${e.labels ? `\n    labels: ${JSON.stringify(e.labels)}` : ''}`).join('\n');
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc, namespace: default}
spec:
  hosts: [${HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
${eps}
`;
}

function rule(policy: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc, namespace: default}
spec:
  host: ${HOST}
  trafficPolicy:
${policy.replace(/^/gm, '    ')}
`;
}

const OD = 'outlierDetection: {consecutive5xxErrors: 5}';

function caller(locality: string | undefined, labels: Record<string, string> = {}): ProxyNode {
  return { id: 'sidecar~10.9.9.9~client-0.default~default.svc.cluster.local', role: 'sidecar', ip: '10.9.9.9', podName: 'client-0', namespace: 'default', labels, serviceAccount: 'default', ...(locality ? { locality } : {}) };
}

/** address → [priority, locality weight] */
function layout(cla: ClusterLoadAssignment): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const g of cla.endpoints ?? []) for (const e of g.lbEndpoints ?? []) out[e.endpoint!.address!.socketAddress!.address!] = [g.priority ?? 0, g.loadBalancingWeight?.value ?? 0];
  return out;
}

function cla(texts: string[], node: ProxyNode, mesh?: MeshConfig): ClusterLoadAssignment {
  return buildClusterLoadAssignment(snapshotOf(texts, mesh), node, CLUSTER);
}

const FOUR = entry([
  { ip: '10.0.0.1', locality: 'r1/z1/s1' },
  { ip: '10.0.0.2', locality: 'r1/z1/s2' },
  { ip: '10.0.0.3', locality: 'r1/z2' },
  { ip: '10.0.0.4', locality: 'r2/z1' },
]);

test('locality helpers follow istiod (LbPriority, LocalityMatch)', () => {
  const p = splitLocality('r1/z1/s1');
  assert.deepEqual(['r1/z1/s1', 'r1/z1/s2', 'r1/z2', 'r2/z1'].map((l) => lbPriority(p, splitLocality(l))), [0, 1, 2, 3]);
  assert.ok(localityMatch(p, 'r1/z1/*') && localityMatch(p, 'r1') && localityMatch(p, '*') && !localityMatch(p, 'r1/z2/*'));
});

test('failover (mesh default enabled): priorities by region/zone/subzone distance, only with outlier detection', () => {
  const node = caller('r1/z1/s1');
  assert.deepEqual(layout(cla([FOUR, rule(OD)], node)), { '10.0.0.1': [0, 1], '10.0.0.2': [1, 1], '10.0.0.3': [2, 1], '10.0.0.4': [3, 1] });
  // No outlier detection: Envoy could never leave P0, so istiod applies no failover.
  assert.deepEqual(layout(cla([FOUR, rule('loadBalancer: {simple: ROUND_ROBIN}')], node)), { '10.0.0.1': [0, 1], '10.0.0.2': [0, 1], '10.0.0.3': [0, 1], '10.0.0.4': [0, 1] });
  // enabled: false on the rule, or on the mesh with no rule setting.
  const off = layout(cla([FOUR, rule(`${OD}\nloadBalancer: {localityLbSetting: {enabled: false}}`)], node));
  assert.ok(Object.values(off).every(([p]) => p === 0));
  const meshOff = layout(cla([FOUR, rule(OD)], node, meshConfigWith({ localityLbSetting: { enabled: false } })));
  assert.ok(Object.values(meshOff).every(([p]) => p === 0));
  // Priorities are renumbered without gaps: a caller in r2 sees r2 first, then everything else.
  assert.deepEqual(layout(cla([FOUR, rule(OD)], caller('r2/z1'))), { '10.0.0.1': [1, 1], '10.0.0.2': [1, 1], '10.0.0.3': [1, 1], '10.0.0.4': [0, 1] });
});

test('failover from → to: the named region comes before other regions', () => {
  const eps = entry([{ ip: '10.0.0.1', locality: 'r1/z1' }, { ip: '10.0.0.2', locality: 'r2/z1' }, { ip: '10.0.0.3', locality: 'r3/z1' }]);
  const policy = `${OD}\nloadBalancer: {localityLbSetting: {failover: [{from: r1, to: r3}]}}`;
  assert.deepEqual(layout(cla([eps, rule(policy)], caller('r1/z1'))), { '10.0.0.1': [0, 1], '10.0.0.3': [1, 1], '10.0.0.2': [2, 1] });
});

test('distribute: weights per matching locality (split by endpoint weight, rounded up); others get no endpoints; no outlier detection needed', () => {
  const eps = entry([
    { ip: '10.0.0.1', locality: 'r1/z1/s1' },
    { ip: '10.0.0.2', locality: 'r1/z1/s2', weight: 3 },
    { ip: '10.0.0.3', locality: 'r1/z2/s1' },
    { ip: '10.0.0.4', locality: 'r2/z1/s1' },
  ]);
  const policy = 'loadBalancer: {localityLbSetting: {distribute: [{from: "r9/*", to: {"r2/*": 100}}, {from: "r1/z1/*", to: {"r1/z1/*": 70, "r1/z2/*": 30}}]}}';
  const out = cla([eps, rule(policy)], caller('r1/z1/s1'));
  assert.deepEqual(layout(out), { '10.0.0.1': [0, 18], '10.0.0.2': [0, 53], '10.0.0.3': [0, 30] });
  assert.deepEqual(out.endpoints!.find((g) => g.locality?.region === 'r2')?.lbEndpoints, []);
  // A caller no `from` matches keeps the plain weights.
  assert.deepEqual(layout(cla([eps, rule(policy)], caller('r5/z1'))), { '10.0.0.1': [0, 1], '10.0.0.2': [0, 3], '10.0.0.3': [0, 1], '10.0.0.4': [0, 1] });
});

test('failoverPriority: label matches with the caller in order (label=value overrides), then failover on top', () => {
  const eps = entry([
    { ip: '10.0.0.1', locality: 'r1/z1', labels: { net: 'n1', tier: 'gold' } },
    { ip: '10.0.0.2', locality: 'r1/z1', labels: { net: 'n1', tier: 'silver' } },
    { ip: '10.0.0.3', locality: 'r1/z2', labels: { net: 'n2', tier: 'gold' } },
  ]);
  const node = caller('r1/z1', { net: 'n1', tier: 'gold' });
  const byLabels = `${OD}\nloadBalancer: {localityLbSetting: {failoverPriority: [net, tier]}}`;
  assert.deepEqual(layout(cla([eps, rule(byLabels)], node)), { '10.0.0.1': [0, 1], '10.0.0.2': [1, 1], '10.0.0.3': [2, 1] });
  const override = `${OD}\nloadBalancer: {localityLbSetting: {failoverPriority: [net, tier=silver]}}`;
  assert.deepEqual(layout(cla([eps, rule(override)], node)), { '10.0.0.2': [0, 1], '10.0.0.1': [1, 1], '10.0.0.3': [2, 1] });
  // Topology labels come from localities (istiod's AugmentLabels) for endpoints and caller alike.
  const zone = `${OD}\nloadBalancer: {localityLbSetting: {failoverPriority: [topology.kubernetes.io/zone]}}`;
  assert.deepEqual(layout(cla([eps, rule(zone)], node)), { '10.0.0.1': [0, 2], '10.0.0.2': [0, 2], '10.0.0.3': [1, 1] });
});

test('endpoint localities: WorkloadEntry locality, topology labels on a pod template or a WorkloadEntry, istio-locality', () => {
  const texts = [
    `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-a, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: z-a, topology.istio.io/subzone: s1}}
    spec: {containers: [{name: web, image: x, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1, namespace: default}
spec: {address: 10.0.1.1, labels: {app: web}, locality: r2/z-b}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-2, namespace: default}
spec: {address: 10.0.1.2, labels: {app: web, topology.kubernetes.io/region: r3}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-3, namespace: default}
spec: {address: 10.0.1.3, labels: {app: web, istio-locality: r4.z-d}}
`,
  ];
  const s = snapshotOf(texts);
  const byName = new Map(s.registry.workloads.map((w) => [w.name, w.locality]));
  assert.deepEqual(Object.fromEntries(byName), { 'web-a-0': 'r1/z-a/s1', 'vm-1': 'r2/z-b', 'vm-2': 'r3', 'vm-3': 'r4/z-d' });
  const out = buildClusterLoadAssignment(s, caller(undefined), 'outbound|80||web.default.svc.cluster.local');
  assert.deepEqual(out.endpoints!.map((g) => g.locality), [
    { region: 'r1', zone: 'z-a', subZone: 's1' }, { region: 'r2', zone: 'z-b' }, { region: 'r3' }, { region: 'r4', zone: 'z-d' },
  ]);
});

test('proxies in different localities do not share load assignments; proxies in one locality do', () => {
  const s = snapshotOf([FOUR, rule(OD)]);
  const t = new SharedTranslator(s);
  const eds = (n: ProxyNode) => layout(t.translate(n).endpoints.find((c) => c.clusterName === CLUSTER)!);
  const a = eds(caller('r1/z1/s1'));
  const b = eds({ ...caller('r2/z1'), id: 'sidecar~10.9.9.8~client-1.default~default.svc.cluster.local', ip: '10.9.9.8', podName: 'client-1' });
  assert.deepEqual(a['10.0.0.4'], [3, 1]);
  assert.deepEqual(b['10.0.0.4'], [0, 1]);
  assert.deepEqual(eds({ ...caller('r1/z1/s1'), id: 'sidecar~10.9.9.7~client-2.default~default.svc.cluster.local', ip: '10.9.9.7', podName: 'client-2' }), a);
});
