/**
 * Test fixtures for the cluster translation tests: Bookinfo-like Services and Deployments, httpbin,
 * Istio's task DestinationRules, loaded with the real loader into a snapshot whose pods get
 * 127.0.0.x addresses. Not a test file itself (no `.test` suffix).
 */
import { loadTexts } from '../../../config/load.js';
import type { Resource } from '../../../config/resource.js';
import type { MeshConfig } from '../../../config/mesh-config.js';
import type { ProxyNode } from '../../../model/proxy-node.js';
import { proxyId } from '../../../model/proxy-node.js';
import { buildSnapshot, type MeshSnapshot } from '../../../model/snapshot.js';
import { decodeResource, encodeResource } from '../../../xds/protos.js';

/** A Service plus a Deployment per version, as in Bookinfo's manifests. */
export function app(name: string, port: number, versions: readonly string[], opts: { ns?: string; replicas?: number; portName?: string; targetPort?: number } = {}): string {
  const ns = opts.ns ?? 'default';
  const docs = [
    `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}, service: ${name}}}
spec:
  ports:
  - {port: ${port}, name: ${opts.portName ?? 'http'}${opts.targetPort ? `, targetPort: ${opts.targetPort}` : ''}}
  selector: {app: ${name}}`,
    `apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-${name}, namespace: ${ns}}`,
  ];
  for (const v of versions) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${v}, namespace: ${ns}, labels: {app: ${name}, version: ${v}}}
spec:
  replicas: ${opts.replicas ?? 1}
  selector: {matchLabels: {app: ${name}, version: ${v}}}
  template:
    metadata: {labels: {app: ${name}, version: ${v}}}
    spec:
      serviceAccountName: bookinfo-${name}
      containers:
      - name: ${name}
        image: docker.io/istio/examples-bookinfo-${name}-${v}:1.20.2
        ports:
        - containerPort: ${opts.targetPort ?? port}`);
  }
  return docs.join('\n---\n');
}

/** Bookinfo: productpage v1, details v1, reviews v1/v2/v3, ratings v1 (all port 9080). */
export const BOOKINFO = [
  app('productpage', 9080, ['v1']),
  app('details', 9080, ['v1']),
  app('reviews', 9080, ['v1', 'v2', 'v3']),
  app('ratings', 9080, ['v1']),
].join('\n---\n');

/** Istio's samples/bookinfo/networking/destination-rule-all.yaml (the DRs for reviews and ratings). */
export const DESTINATION_RULE_ALL = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
  - name: v3
    labels: {version: v3}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
  - name: v2-mysql
    labels: {version: v2-mysql}
  - name: v2-mysql-vm
    labels: {version: v2-mysql-vm}`;

/** httpbin (port 8000 → 80) and the circuit-breaking task's DestinationRule. */
export const HTTPBIN = app('httpbin', 8000, ['v1'], { targetPort: 80 });
export const HTTPBIN_CIRCUIT_BREAKER = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100`;

/** Loads YAML texts, failing on any diagnostic. */
export function load(...texts: string[]): Resource[] {
  const { resources, diagnostics } = loadTexts(texts.map((text, i) => ({ file: `fixture-${i}.yaml`, text })));
  const errors = diagnostics.filter((d) => d.level === 'Error');
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.source?.file}:${d.source?.line}: ${d.message}`).join('\n'));
  return resources;
}

/** A snapshot of the texts, pods at 127.0.0.2, .3, … in registry order. */
export function snapshotOf(texts: readonly string[], meshConfig?: MeshConfig, isHealthy?: (name: string) => boolean): MeshSnapshot {
  const resources = load(...texts);
  const addresses = new Map<string, string>();
  return buildSnapshot({
    resources,
    meshConfig,
    registry: {
      podAddress: (pod) => {
        const key = `${pod.namespace}/${pod.name}`;
        if (!addresses.has(key)) addresses.set(key, `127.0.0.${addresses.size + 2}`);
        return addresses.get(key);
      },
      ...(isHealthy ? { isHealthy: (w) => isHealthy(w.name) } : {}),
    },
  });
}

/** The sidecar of the first pod of a Deployment in a snapshot. */
export function sidecarOf(snapshot: MeshSnapshot, deployment: string, ns = 'default'): ProxyNode {
  const w = snapshot.registry.workloads.find((x) => x.namespace === ns && x.origin.name === deployment);
  if (!w || !w.address) throw new Error(`no pod for ${ns}/${deployment}`);
  return {
    id: proxyId('sidecar', w.address, w.name, ns),
    role: 'sidecar',
    ip: w.address,
    podName: w.name,
    namespace: ns,
    labels: w.labels,
    serviceAccount: w.serviceAccount,
  };
}

/** Encodes a resource object to protobuf bytes with Envoy's protos and decodes it back. */
export function roundTrip<T>(typeUrl: string, obj: T): T {
  return decodeResource<T>(typeUrl, encodeResource(typeUrl, obj as object));
}
