import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPaths } from '../config/load.js';
import type { Resource } from '../config/resource.js';
import { buildSnapshot, type MeshSnapshot } from '../model/snapshot.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { proxyId } from '../model/proxy-node.js';
import type { Workload } from '../registry/types.js';
import { SharedTranslator } from './shared-translation.js';
import { TranslationCache } from './translation-cache.js';
import { translate } from './translate.js';

async function yaml(text: string): Promise<Resource[]> {
  return [...(await loadPaths(['-'], async () => text)).resources];
}

const parsed = new Map<string, Resource[]>();

/** Each document parsed once: an unchanged document is the same Resource object, as the config store hands it out. */
async function documents(text: string): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const doc of text.split(/^---\n/m).filter((d) => d.trim())) {
    if (!parsed.has(doc)) parsed.set(doc, await yaml(doc));
    out.push(...parsed.get(doc)!);
  }
  return out;
}

function addresses(): (pod: { namespace: string; name: string }) => string {
  const seen = new Map<string, string>();
  return (pod) => {
    const key = `${pod.namespace}/${pod.name}`;
    if (!seen.has(key)) seen.set(key, `127.9.0.${seen.size + 1}`);
    return seen.get(key)!;
  };
}

function sidecars(snapshot: MeshSnapshot): ProxyNode[] {
  return snapshot.registry.workloads
    .filter((w) => w.address)
    .map((w) => ({ id: proxyId('sidecar', w.address!, w.name, w.namespace), role: 'sidecar' as const, ip: w.address!, podName: w.name, namespace: w.namespace, labels: w.labels, serviceAccount: w.serviceAccount, appAddress: w.address!.replace('127.9.', '127.8.') }));
}

const deployment = (name: string, ns: string, version: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${version}, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}, version: ${version}}}
  template:
    metadata: {labels: {app: ${name}, version: ${version}}}
    spec: {containers: [{name: app, image: x, command: [node, app.js], ports: [{containerPort: 8080}]}]}
---
`;

const service = (name: string, ns: string, port = 8080) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}, targetPort: 8080}]
---
`;

/** A small mesh: a, b in ns1; c in ns2; every service with v1 and v2. */
const MESH = ['a', 'b'].map((n) => service(n, 'ns1') + deployment(n, 'ns1', 'v1') + deployment(n, 'ns1', 'v2')).join('') + service('c', 'ns2') + deployment('c', 'ns2', 'v1') + deployment('c', 'ns2', 'v2');

const vsA = (w1: number, extra = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: ns1}
spec:
  hosts: [a]
  http:
  - match: [{headers: {end-user: {exact: jason}}${extra}}]
    route: [{destination: {host: a, subset: v2}}]
  - route:
    - {destination: {host: a, subset: v1}, weight: ${w1}}
    - {destination: {host: a, subset: v2}, weight: ${100 - w1}}
---
`;

const VS_C_MIRROR = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: c, namespace: ns2}
spec:
  hosts: [c.ns2.svc.cluster.local]
  http:
  - route: [{destination: {host: c.ns2.svc.cluster.local, subset: v1}}]
    mirror: {host: b.ns1.svc.cluster.local}
---
`;

const drA = (lb: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: ns1}
spec:
  host: a
  trafficPolicy: {loadBalancer: ${lb}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
`;

const DR_C_SELECTOR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: c-for-b, namespace: ns1}
spec:
  host: c.ns2.svc.cluster.local
  workloadSelector: {matchLabels: {app: b}}
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
---
`;

const serviceEntry = (port: number) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: ns1}
spec:
  hosts: [api.example.com]
  ports: [{number: ${port}, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
---
`;

const VS_EXT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ext, namespace: ns1}
spec:
  hosts: [api.example.com]
  http: [{route: [{destination: {host: api.example.com}}], timeout: 3s}]
---
`;

const SIDECAR_NS1 = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: ns1}
spec:
  egress: [{hosts: [./*]}]
---
`;

test('cached routes, clusters and load assignments equal a fresh translate() after every kind of change', async () => {
  const podAddress = addresses();
  let unhealthy = '';
  const isHealthy = (w: Workload) => w.name !== unhealthy;
  let version = 0;
  const steps: { name: string; text: string; before?: (s: MeshSnapshot) => void }[] = [
    { name: 'initial', text: MESH + vsA(90) + drA('{simple: RANDOM}') + VS_C_MIRROR },
    { name: 'VirtualService weight', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR },
    { name: 'VirtualService sourceLabels', text: MESH + vsA(80, ', sourceLabels: {app: b}') + drA('{simple: RANDOM}') + VS_C_MIRROR },
    { name: 'DestinationRule consistent hash', text: MESH + vsA(80) + drA('{consistentHash: {httpHeaderName: x-id}}') + VS_C_MIRROR },
    { name: 'DestinationRule hash header', text: MESH + vsA(80) + drA('{consistentHash: {httpHeaderName: x-other}}') + VS_C_MIRROR },
    { name: 'DestinationRule with workloadSelector', text: MESH + vsA(80) + drA('{consistentHash: {httpHeaderName: x-other}}') + VS_C_MIRROR + DR_C_SELECTOR },
    { name: 'ServiceEntry added', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(80) + VS_EXT },
    { name: 'ServiceEntry port', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(8080) + VS_EXT },
    { name: 'Service port', text: MESH.replace(service('b', 'ns1'), service('b', 'ns1', 9090)) + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(8080) + VS_EXT },
    { name: 'Sidecar added', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(8080) + VS_EXT + SIDECAR_NS1 },
    { name: 'endpoint unhealthy', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(8080) + VS_EXT + SIDECAR_NS1, before: (s) => (unhealthy = s.registry.workloads.find((w) => w.name.startsWith('c-v1'))!.name) },
    { name: 'Sidecar removed, endpoint healthy', text: MESH + vsA(80) + drA('{simple: RANDOM}') + VS_C_MIRROR + serviceEntry(8080) + VS_EXT, before: () => (unhealthy = '') },
    { name: 'back to the start', text: MESH + vsA(90) + drA('{simple: RANDOM}') + VS_C_MIRROR },
  ];
  const cache = new TranslationCache();
  let last: MeshSnapshot | undefined;
  for (const step of steps) {
    if (last) step.before?.(last);
    // Reuse the registry as the control plane does, except when health changed (it rebuilds then).
    const previous = step.before ? undefined : last;
    const snapshot = buildSnapshot({ resources: await documents(step.text), version: String(++version), registry: { podAddress, isHealthy }, previous });
    last = snapshot;
    const shared = new SharedTranslator(snapshot, {}, cache);
    for (const n of sidecars(snapshot)) assert.deepEqual(shared.translate(n), translate(snapshot, n), `${step.name}: proxy ${n.podName}`);
  }
  assert.ok(cache.stats.hits > 0);
});

test('cached translation equals a fresh translate() when every resource is parsed again (new objects, same content)', async () => {
  const podAddress = addresses();
  const cache = new TranslationCache();
  for (const [i, text] of [MESH + vsA(90) + DR_C_SELECTOR, MESH + vsA(70) + DR_C_SELECTOR, MESH + vsA(70) + DR_C_SELECTOR].entries()) {
    const snapshot = buildSnapshot({ resources: await yaml(text), version: String(i + 1), registry: { podAddress } });
    const shared = new SharedTranslator(snapshot, {}, cache);
    for (const n of sidecars(snapshot)) assert.deepEqual(shared.translate(n), translate(snapshot, n), `step ${i}: proxy ${n.podName}`);
  }
});

test('a VirtualService change rebuilds one virtual host: the others, the clusters and load assignments keep their identity', async () => {
  const podAddress = addresses();
  const cache = new TranslationCache();
  const out = [];
  for (const [i, w] of [90, 80].entries()) {
    // The same resource objects except the changed VirtualService, as the config store hands them out.
    const snapshot = buildSnapshot({ resources: await documents(MESH + drA('{simple: RANDOM}') + VS_C_MIRROR + vsA(w)), version: String(i + 1), registry: { podAddress } });
    const node = sidecars(snapshot).find((n) => n.namespace === 'ns2')!;
    out.push(new SharedTranslator(snapshot, {}, cache).translate(node));
    assert.deepEqual(out[i], translate(snapshot, node));
  }
  const [before, after] = out as [ReturnType<typeof translate>, ReturnType<typeof translate>];
  assert.equal(after.clusters, before.clusters, 'cluster list reused');
  assert.equal(after.endpoints, before.endpoints, 'load assignment list reused');
  const rc0 = before.routes.find((r) => r.name === '8080')!;
  const rc1 = after.routes.find((r) => r.name === '8080')!;
  assert.notEqual(rc1, rc0);
  const changed = rc1.virtualHosts!.filter((vh, i) => vh !== rc0.virtualHosts![i]).map((vh) => vh.name);
  assert.deepEqual(changed, ['a.ns1.svc.cluster.local:8080']);
});

const vsAHosts = (hosts: string, w1 = 90, gateways = '') => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: ns1}
spec:
  hosts: [${hosts}]${gateways}
  http:
  - route:
    - {destination: {host: a, subset: v1}, weight: ${w1}}
    - {destination: {host: a, subset: v2}, weight: ${100 - w1}}
---
`;

const VS_A_NEWER = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a-second, namespace: ns2, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  hosts: [a.ns1.svc.cluster.local]
  http: [{route: [{destination: {host: c.ns2.svc.cluster.local}}]}]
---
`;

const VS_NO_ROUTES = (host: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: empty, namespace: ns1}
spec:
  hosts: [${host}]
  http: [{route: [{destination: {host: ${host}}}], delegate: {name: x}}]
---
`;

const WORKLOAD_ENTRY = `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-a, namespace: ns1}
spec: {address: 10.9.9.9, labels: {app: a, version: v1}}
---
`;

test('remembered route builds and a reused registry equal a fresh translate() through VirtualService-only and registry changes', async () => {
  const podAddress = addresses();
  const base = MESH + drA('{simple: RANDOM}') + VS_C_MIRROR;
  const steps: { name: string; text: string; registryReused: boolean }[] = [
    { name: 'initial', text: base + vsAHosts('a'), registryReused: false },
    { name: 'weight', text: base + vsAHosts('a', 70), registryReused: true },
    { name: 'hosts widened', text: base + vsAHosts('a, b', 70), registryReused: true },
    { name: 'weight with two hosts', text: base + vsAHosts('a, b', 60), registryReused: true },
    { name: 'hosts narrowed', text: base + vsAHosts('b', 60), registryReused: true },
    { name: 'back to a', text: base + vsAHosts('a', 60), registryReused: true },
    { name: 'a newer VirtualService for the same host', text: base + vsAHosts('a', 50) + VS_A_NEWER, registryReused: true },
    { name: 'older one changes', text: base + vsAHosts('a', 40) + VS_A_NEWER, registryReused: true },
    { name: 'a VirtualService without usable routes', text: base + vsAHosts('a', 40) + VS_NO_ROUTES('b'), registryReused: true },
    { name: 'it moves to another host', text: base + vsAHosts('a', 40) + VS_NO_ROUTES('c.ns2.svc.cluster.local'), registryReused: true },
    { name: 'bound to a gateway only', text: base + vsAHosts('a', 40, '\n  gateways: [ns1/gw]'), registryReused: true },
    { name: 'mesh again', text: base + vsAHosts('a', 30), registryReused: true },
    { name: 'WorkloadEntry added', text: base + vsAHosts('a', 30) + WORKLOAD_ENTRY, registryReused: false },
    { name: 'weight after the registry changed', text: base + vsAHosts('a', 20) + WORKLOAD_ENTRY, registryReused: true },
    { name: 'VirtualService deleted', text: base + WORKLOAD_ENTRY, registryReused: true },
    { name: 'restored', text: base + vsAHosts('a', 10) + WORKLOAD_ENTRY, registryReused: true },
  ];
  const cache = new TranslationCache();
  let last: MeshSnapshot | undefined;
  for (const [i, step] of steps.entries()) {
    const snapshot = buildSnapshot({ resources: await documents(step.text), version: String(i + 1), registry: { podAddress }, previous: last });
    if (last) assert.equal(snapshot.registry === last.registry, step.registryReused, `${step.name}: registry reuse`);
    last = snapshot;
    const shared = new SharedTranslator(snapshot, {}, cache);
    for (const n of sidecars(snapshot)) assert.deepEqual(shared.translate(n), translate(snapshot, n), `${step.name}: proxy ${n.podName}`);
  }
});
