/**
 * Helpers for simulation tests: build a snapshot from YAML (Bookinfo plus extra documents), a proxy
 * node for a Deployment's first replica or for the ingress gateway, and translate + simulate in one
 * call. Addresses are deterministic loopback IPs, as `weft up` assigns them.
 */
import assert from 'node:assert/strict';
import { loadTexts } from '../../config/load.js';
import { meshConfigWith, type MeshConfig } from '../../config/mesh-config.js';
import { proxyId, type ProxyNode } from '../../model/proxy-node.js';
import { buildSnapshot, type MeshSnapshot } from '../../model/snapshot.js';
import { translate, type TranslateOptions, type XdsResources } from '../../translate/translate.js';
import { simulate } from '../simulate.js';
import type { SimRequest, SimResult, SimSuccess } from '../types.js';

function deployment(name: string, app: string, version: string | undefined, port: number, ns = 'default'): string {
  const labels = version ? `{app: ${app}, version: ${version}}` : `{app: ${app}}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: ${labels}}
  template:
    metadata: {labels: ${labels}}
    spec:
      serviceAccountName: bookinfo-${app}
      containers:
      - name: ${app}
        image: example/${app}
        command: [node, ${app}.js]
        ports: [{containerPort: ${port}}]
`;
}

function service(name: string, port: number, ns = 'default', portName = 'http', clusterIP?: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  ${clusterIP ? `clusterIP: ${clusterIP}\n  ` : ''}selector: {app: ${name}}
  ports: [{name: ${portName}, port: ${port}}]
`;
}

/** Istio's Bookinfo: four services on 9080, reviews v1–v3, plus the ingress gateway Deployment. */
export const BOOKINFO = [
  service('productpage', 9080, 'default', 'http', '10.0.0.10'),
  deployment('productpage-v1', 'productpage', 'v1', 9080),
  service('details', 9080, 'default', 'http', '10.0.0.11'),
  deployment('details-v1', 'details', 'v1', 9080),
  service('reviews', 9080, 'default', 'http', '10.0.0.12'),
  deployment('reviews-v1', 'reviews', 'v1', 9080),
  deployment('reviews-v2', 'reviews', 'v2', 9080),
  deployment('reviews-v3', 'reviews', 'v3', 9080),
  service('ratings', 9080, 'default', 'http', '10.0.0.13'),
  deployment('ratings-v1', 'ratings', 'v1', 9080),
  `apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway, app: istio-ingressgateway}}
    spec:
      containers: [{name: istio-proxy, image: proxy, command: [weft, proxy]}]
`,
].join('---\n');

/** Istio's `destination-rule-all.yaml` for Bookinfo: subsets v1/v2(/v3) by the version label. */
export const BOOKINFO_DESTINATION_RULES = ['productpage', 'details', 'reviews', 'ratings']
  .map(
    (h) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${h}}
spec:
  host: ${h}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
`,
  )
  .join('---\n');

/** Loads YAML documents (failing the test on any load error) and builds a snapshot. */
export function snapshotOf(yaml: string, meshConfig?: Partial<MeshConfig>): MeshSnapshot {
  const loaded = loadTexts([{ file: 'test.yaml', text: yaml }]);
  const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
  assert.deepEqual(errors.map((e) => `${e.source?.line}: ${e.message}`), []);
  let next = 1;
  const addresses = new Map<string, string>();
  return buildSnapshot({
    resources: loaded.resources,
    ...(meshConfig ? { meshConfig: meshConfigWith(meshConfig) } : {}),
    registry: {
      podAddress: (pod) => {
        const key = `${pod.namespace}/${pod.name}`;
        let a = addresses.get(key);
        if (!a) addresses.set(key, (a = `127.0.1.${next++}`));
        return a;
      },
    },
  });
}

/** The proxy node of the first replica of a Deployment (`router` role for the ingress gateway). */
export function nodeFor(snapshot: MeshSnapshot, deployment: string, namespace = 'default'): ProxyNode {
  const w = snapshot.registry.workloads.find((x) => x.namespace === namespace && x.origin.name === deployment);
  assert.ok(w, `no workload for deployment ${namespace}/${deployment}`);
  const role = w.labels['istio'] === 'ingressgateway' ? 'router' : 'sidecar';
  return {
    id: proxyId(role, w.address!, w.name, w.namespace),
    role,
    ip: w.address!,
    podName: w.name,
    namespace: w.namespace,
    labels: w.labels,
    serviceAccount: w.serviceAccount,
  };
}

/** Translates for one Deployment's proxy. */
export function resourcesFor(snapshot: MeshSnapshot, deployment: string, namespace = 'default', options?: TranslateOptions): XdsResources {
  return translate(snapshot, nodeFor(snapshot, deployment, namespace), options);
}

/** Simulates and asserts success, returning the result. */
export function expectOk(resources: XdsResources, req: SimRequest): SimSuccess {
  const r: SimResult = simulate(resources, req);
  if (!r.ok) assert.fail(`expected success for ${JSON.stringify(req)}, got ${r.error}: ${r.message}`);
  return r;
}

/** The single cluster a successful HTTP simulation routes to (fails when weighted). */
export function clusterOf(r: SimSuccess): string {
  assert.ok(r.action.kind === 'route' || r.action.kind === 'tcp', `expected a route, got ${r.action.kind}`);
  assert.equal(r.action.clusters.length, 1, `expected one cluster, got ${JSON.stringify(r.action.clusters)}`);
  return r.action.clusters[0]!.name;
}
