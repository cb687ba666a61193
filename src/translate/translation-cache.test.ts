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

async function load(paths: string[]): Promise<Resource[]> {
  return [...(await loadPaths(paths)).resources];
}

async function yaml(text: string): Promise<Resource[]> {
  return [...(await loadPaths(['-'], async () => text)).resources];
}

/** Stable pod addresses across snapshots (as `weft up`'s allocator). */
function addresses(): (pod: { namespace: string; name: string }) => string {
  const seen = new Map<string, string>();
  return (pod) => {
    const key = `${pod.namespace}/${pod.name}`;
    if (!seen.has(key)) seen.set(key, `127.9.0.${seen.size + 1}`);
    return seen.get(key)!;
  };
}

function nodes(snapshot: MeshSnapshot): ProxyNode[] {
  const sidecars = snapshot.registry.workloads
    .filter((w) => w.address)
    .map((w) => ({ id: proxyId('sidecar', w.address!, w.name, w.namespace), role: 'sidecar' as const, ip: w.address!, podName: w.name, namespace: w.namespace, labels: w.labels, serviceAccount: w.serviceAccount, appAddress: w.address!.replace('127.9.', '127.8.') }));
  const gateway: ProxyNode = { id: 'router~127.9.9.9~gw.istio-system~istio-system.svc.cluster.local', role: 'router', ip: '127.9.9.9', podName: 'gw', namespace: 'istio-system', labels: { istio: 'ingressgateway' }, serviceAccount: 'gw' };
  return [...sidecars, gateway];
}

const VS_REVIEWS = (v1: number, v2: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${v1}
    - destination: {host: reviews, subset: v2}
      weight: ${v2}
`;

const DR_REVIEWS = (lb: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy: {loadBalancer: {simple: ${lb}}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`;

const EXTRA_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: extra}
spec:
  selector: {app: ratings}
  ports: [{name: http, port: 9081}]
`;

test('cached translation equals a fresh translate() across a sequence of changes, and reuses unchanged objects', async () => {
  const base = await load(['samples/bookinfo']);
  const gateway = await load(['samples/bookinfo/networking/bookinfo-gateway.yaml']);
  const podAddress = addresses();
  let unhealthy = '';
  const isHealthy = (w: Workload) => w.name !== unhealthy;
  let version = 0;
  const snap = (resources: Resource[]) => buildSnapshot({ resources, version: String(++version), registry: { podAddress, isHealthy } });
  const steps: { name: string; resources: Resource[]; before?: () => void }[] = [
    { name: 'initial', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(90, 10))), ...(await yaml(DR_REVIEWS('RANDOM')))] },
    { name: 'VS weight change', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('RANDOM')))] },
    { name: 'DR change', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('LEAST_REQUEST')))] },
    { name: 'endpoint health change', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('LEAST_REQUEST')))], before: () => (unhealthy = snapshotWorkload('reviews-v2')) },
    { name: 'Service added', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('LEAST_REQUEST'))), ...(await yaml(EXTRA_SERVICE))] },
    { name: 'Service removed', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('LEAST_REQUEST')))] },
    { name: 'health restored', resources: [...base, ...gateway, ...(await yaml(VS_REVIEWS(80, 20))), ...(await yaml(DR_REVIEWS('LEAST_REQUEST')))], before: () => (unhealthy = '') },
  ];
  let first: MeshSnapshot | undefined;
  function snapshotWorkload(prefix: string): string {
    return first!.registry.workloads.find((w) => w.name.startsWith(prefix))!.name;
  }
  const cache = new TranslationCache();
  let previous: Map<string, ReturnType<typeof translate>> | undefined;
  for (const step of steps) {
    step.before?.();
    const snapshot = snap(step.resources);
    first ??= snapshot;
    const shared = new SharedTranslator(snapshot, {}, cache);
    const current = new Map<string, ReturnType<typeof translate>>();
    for (const n of nodes(snapshot)) {
      const cached = shared.translate(n);
      assert.deepEqual(cached, translate(snapshot, n), `${step.name}: proxy ${n.podName}`);
      current.set(n.id, cached);
    }
    if (step.name === 'VS weight change') {
      // Only the reviews route changed: clusters and load assignments are the very same objects.
      const [id, now] = [...current][0]!;
      const then = previous!.get(id)!;
      now.clusters.forEach((c, i) => assert.equal(c, then.clusters[i], `cluster ${c.name} reused`));
      now.endpoints.forEach((e, i) => assert.equal(e, then.endpoints[i], `assignment ${e.clusterName} reused`));
      assert.ok(now.routes.some((r, i) => r !== then.routes[i]), 'the changed route is new');
    }
    if (step.name === 'endpoint health change') {
      const [id, now] = [...current][0]!;
      const then = previous!.get(id)!;
      const changed = now.endpoints.filter((e, i) => e !== then.endpoints[i]).map((e) => e.clusterName);
      assert.ok(changed.length > 0 && changed.every((n) => n?.includes('reviews')), `only reviews assignments change: ${changed.join(', ')}`);
    }
    previous = current;
  }
  assert.ok(cache.stats.hits > 0);
});
