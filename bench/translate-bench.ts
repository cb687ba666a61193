/**
 * Benchmark: translation cost for one sidecar in a large mesh (issue 2's budget: 1,000 services ×
 * 10 endpoints with 1,000 VirtualServices and 1,000 DestinationRules translate in under 1 s and
 * 300 MB). Prints a Markdown table; run through `npm run bench`.
 */
import { loadTexts } from '../src/config/load.js';
import { buildSnapshot } from '../src/model/snapshot.js';
import { proxyId } from '../src/model/proxy-node.js';
import type { ProxyNode } from '../src/model/proxy-node.js';
import { translate } from '../src/translate/translate.js';
import { generateMeshYaml } from './mesh-generator.js';

/** One translation measurement. */
export interface TranslateResult {
  readonly services: number;
  readonly endpoints: number;
  readonly loadMs: number;
  readonly snapshotMs: number;
  readonly firstTranslateMs: number;
  readonly medianTranslateMs: number;
  readonly resources: { listeners: number; routes: number; clusters: number; endpoints: number };
  readonly heapMB: number;
  readonly rssMB: number;
}

/** Runs the translation benchmark for a mesh of `services` services with `replicas` endpoints each. */
export function runTranslateBench(services = 1000, replicas = 10, runs = 5): TranslateResult {
  const yaml = generateMeshYaml({ services, replicas, namespaces: 10 });
  let t = performance.now();
  const loaded = loadTexts([{ file: 'generated.yaml', text: yaml }]);
  const loadMs = performance.now() - t;
  const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
  if (errors.length > 0) throw new Error(`generated mesh does not load: ${errors[0]!.message}`);
  let next = 0;
  const addr = new Map<string, string>();
  t = performance.now();
  const snapshot = buildSnapshot({
    resources: loaded.resources,
    registry: {
      podAddress: (pod) => {
        const key = `${pod.namespace}/${pod.name}`;
        let a = addr.get(key);
        if (!a) {
          next++;
          a = `127.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
          addr.set(key, a);
        }
        return a;
      },
    },
  });
  const snapshotMs = performance.now() - t;
  const pod = snapshot.registry.workloads[0]!;
  const node: ProxyNode = {
    id: proxyId('sidecar', pod.address!, pod.name, pod.namespace),
    role: 'sidecar',
    ip: pod.address!,
    podName: pod.name,
    namespace: pod.namespace,
    labels: pod.labels,
    serviceAccount: pod.serviceAccount,
  };
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  t = performance.now();
  const first = translate(snapshot, node);
  const firstTranslateMs = performance.now() - t;
  const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    translate(snapshot, node);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const endpoints = first.endpoints.reduce((n, cla) => n + (cla.endpoints ?? []).reduce((m, l) => m + (l.lbEndpoints?.length ?? 0), 0), 0);
  return {
    services,
    endpoints,
    loadMs,
    snapshotMs,
    firstTranslateMs,
    medianTranslateMs: times[Math.floor(times.length / 2)]!,
    resources: { listeners: first.listeners.length, routes: first.routes.length, clusters: first.clusters.length, endpoints: first.endpoints.length },
    heapMB,
    rssMB: process.memoryUsage().rss / 1048576,
  };
}
