/**
 * Builds the service registry from loaded resources, the way a Kubernetes cluster plus istiod's
 * registries would see them: Services select pods (Deployment replicas) and WorkloadEntries in
 * their namespace; Services without a selector take Endpoints/EndpointSlices; ServiceEntries add
 * hosts with inline endpoints or a workloadSelector.
 */
import type { Resource } from '../config/resource.js';
import type { Labels } from '../config/labels.js';
import { selectorIsEmpty, selectorMatches } from '../config/labels.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';
import { parseExportTo } from '../config/hosts.js';
import { workloadLocality } from './locality.js';
import { parseProtocol, protocolForPort } from './protocol.js';
import type { Endpoint, Registry, Resolution, Service, ServicePort, Workload } from './types.js';

/** Identity of a pod replica, given to the address allocator of `weft up`. */
export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly replica: number;
}

/** Options for building a registry. */
export interface RegistryOptions {
  readonly meshConfig?: MeshConfig;
  /** Gives each pod its address (weft up); without it pods have no address and yield no endpoints. */
  readonly podAddress?: (pod: PodIdentity) => string | undefined;
  /** Marks endpoints unhealthy (e.g. a pod whose app is not running). */
  readonly isHealthy?: (w: Workload) => boolean;
}

// Structural views of the Kubernetes and Istio content the registry reads.
interface ServiceView {
  type?: string;
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }[];
  clusterIP?: string;
  externalName?: string;
}
interface DeploymentView {
  replicas?: number;
  template?: {
    metadata?: { labels?: Record<string, string> };
    spec?: {
      serviceAccountName?: string;
      serviceAccount?: string;
      containers?: { ports?: { containerPort: number; name?: string }[] }[];
    };
  };
}
interface EndpointsView {
  subsets?: { addresses?: { ip: string; targetRef?: { name?: string } }[]; notReadyAddresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[];
}
interface EndpointSliceView {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}
interface WorkloadEntryView {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}
interface ServiceEntryView {
  hosts: string[];
  addresses?: string[];
  ports?: { number: number; protocol?: string; name: string; targetPort?: number }[];
  location?: string;
  resolution?: string;
  endpoints?: WorkloadEntryView[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
  subjectAltNames?: string[];
}

/** A stable pod name for replica `i` of a Deployment: `<deployment>-<i>`. */
export function podName(deployment: string, replica: number): string {
  return `${deployment}-${replica}`;
}

/** The resource kinds the registry reads (besides every resource's namespace). */
export const REGISTRY_KINDS: ReadonlySet<string> = new Set(['Namespace', 'ServiceAccount', 'Deployment', 'Pod', 'WorkloadEntry', 'Endpoints', 'EndpointSlice', 'Service', 'ServiceEntry']);

/** Builds the registry. Pure: the same resources and options give the same registry. */
export function buildRegistry(resources: readonly Resource[], options: RegistryOptions = {}): Registry {
  const mesh = options.meshConfig ?? DEFAULT_MESH_CONFIG;
  const services: Service[] = [];
  const workloads: Workload[] = [];
  const namespaces = new Set<string>(['default', mesh.rootNamespace]);
  const nsLabels = new Map<string, Labels>();
  const serviceAccounts = new Set<string>();
  const endpointsManifests = new Map<string, EndpointsView[]>();
  const sliceManifests = new Map<string, EndpointSliceView[]>();
  const endpointMap = new Map<Service, Map<number, Endpoint[]>>();

  for (const r of resources) {
    if (r.metadata.namespace) namespaces.add(r.metadata.namespace);
    switch (r.kind) {
      case 'Namespace':
        namespaces.add(r.metadata.name);
        nsLabels.set(r.metadata.name, r.metadata.labels ?? {});
        break;
      case 'ServiceAccount':
        serviceAccounts.add(`${r.metadata.namespace}/${r.metadata.name}`);
        break;
      case 'Deployment':
        workloads.push(...deploymentPods(r as Resource<DeploymentView>, options));
        break;
      case 'Pod':
        // A bare Pod: one workload under its own name, its labels from its metadata (kubernetes-pod.ts).
        workloads.push(...deploymentPods(r as Resource<DeploymentView>, options, barePod(r as Resource<BarePodView>)));
        break;
      case 'WorkloadEntry': {
        const we = r.spec as WorkloadEntryView;
        workloads.push({
          name: r.metadata.name,
          namespace: r.metadata.namespace,
          labels: { ...(r.metadata.labels ?? {}), ...(we.labels ?? {}) },
          serviceAccount: we.serviceAccount ?? 'default',
          address: we.address,
          namedPorts: we.ports ?? {},
          containerPorts: Object.values(we.ports ?? {}),
          weight: we.weight,
          locality: workloadLocality(we.locality, { ...(r.metadata.labels ?? {}), ...(we.labels ?? {}) }),
          network: we.network,
          origin: { kind: 'WorkloadEntry', namespace: r.metadata.namespace, name: r.metadata.name },
        });
        break;
      }
      case 'Endpoints':
        push(endpointsManifests, `${r.metadata.namespace}/${r.metadata.name}`, r.spec as EndpointsView);
        break;
      case 'EndpointSlice': {
        const svc = r.metadata.labels?.['kubernetes.io/service-name'];
        if (svc) push(sliceManifests, `${r.metadata.namespace}/${svc}`, r.spec as EndpointSliceView);
        break;
      }
    }
  }
  const byWorkloadNs = new Map<string, Workload[]>();
  for (const w of workloads) push(byWorkloadNs, w.namespace, w);
  const healthy = options.isHealthy ?? (() => true);

  for (const r of resources) {
    if (r.kind === 'Service') {
      const spec = r.spec as ServiceView;
      const ns = r.metadata.namespace;
      const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({
        name: p.name ?? '',
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: protocolForPort(p),
      }));
      const external = spec.type === 'ExternalName';
      const svc: Service = {
        hostname: `${r.metadata.name}.${ns}.svc.${mesh.domainSuffix}`,
        name: r.metadata.name,
        namespace: ns,
        ports,
        addresses: spec.clusterIP && spec.clusterIP !== 'None' ? [spec.clusterIP] : [],
        resolution: external ? 'DNS' : 'STATIC',
        meshExternal: false,
        selector: spec.selector,
        exportTo: parseExportTo(r.metadata.annotations?.['networking.istio.io/exportTo']?.split(',').map((s) => s.trim()), ns),
        labels: r.metadata.labels ?? {},
        origin: { kind: 'Service', namespace: ns, name: r.metadata.name },
        creationTimestamp: r.metadata.creationTimestamp,
        externalName: external ? spec.externalName : undefined,
      };
      services.push(svc);
      const eps = new Map<number, Endpoint[]>();
      endpointMap.set(svc, eps);
      if (external) continue;
      if (spec.selector && !selectorIsEmpty(spec.selector)) {
        for (const w of byWorkloadNs.get(ns) ?? []) {
          if (!selectorMatches(spec.selector, w.labels) || !w.address) continue;
          for (const sp of ports) {
            const port = resolveTargetPort(sp, w);
            if (port === undefined) continue;
            push(eps, sp.port, endpointOf(svc.hostname, sp, w, w.address, port, healthy(w)));
          }
        }
      } else {
        addManifestEndpoints(svc, eps, endpointsManifests.get(`${ns}/${svc.name}`), sliceManifests.get(`${ns}/${svc.name}`));
      }
    } else if (r.kind === 'ServiceEntry') {
      const se = r.spec as ServiceEntryView;
      const ns = r.metadata.namespace;
      const ports: ServicePort[] = (se.ports ?? []).map((p) => ({
        name: p.name,
        port: p.number,
        targetPort: p.targetPort,
        protocol: parseProtocol(p.protocol) ?? 'UNKNOWN',
      }));
      const resolution = (se.resolution ?? 'NONE') as Resolution;
      for (const host of se.hosts) {
        const svc: Service = {
          hostname: host,
          name: host,
          namespace: ns,
          ports,
          addresses: se.addresses ?? [],
          resolution,
          meshExternal: (se.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL',
          selector: se.workloadSelector?.labels,
          exportTo: parseExportTo(se.exportTo, ns),
          labels: r.metadata.labels ?? {},
          origin: { kind: 'ServiceEntry', namespace: ns, name: r.metadata.name },
          creationTimestamp: r.metadata.creationTimestamp,
          subjectAltNames: se.subjectAltNames,
        };
        services.push(svc);
        const eps = new Map<number, Endpoint[]>();
        endpointMap.set(svc, eps);
        if (se.workloadSelector) {
          for (const w of byWorkloadNs.get(ns) ?? []) {
            if (!selectorMatches(se.workloadSelector.labels, w.labels) || !w.address) continue;
            for (const sp of ports) {
              const port = w.namedPorts[sp.name] ?? sp.targetPort ?? sp.port;
              push(eps, sp.port, endpointOf(host, sp, w, w.address, port as number, healthy(w)));
            }
          }
        } else if (se.endpoints && se.endpoints.length > 0) {
          for (const e of se.endpoints) {
            for (const sp of ports) {
              if (!e.address) continue;
              const port = e.ports?.[sp.name] ?? (typeof sp.targetPort === 'number' ? sp.targetPort : sp.port);
              push(eps, sp.port, {
                hostname: host, servicePort: sp, address: e.address, port, labels: e.labels ?? {},
                serviceAccount: e.serviceAccount, weight: e.weight ?? 1, locality: workloadLocality(e.locality, e.labels), healthy: true,
              });
            }
          }
        } else if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
          // DNS without endpoints: the host itself is resolved, as Envoy's STRICT_DNS cluster does.
          for (const sp of ports) {
            push(eps, sp.port, {
              hostname: host, servicePort: sp, address: host, port: typeof sp.targetPort === 'number' ? sp.targetPort : sp.port,
              labels: {}, weight: 1, healthy: true,
            });
          }
        }
      }
    }
  }

  const byHost = new Map<string, Service[]>();
  for (const s of services) push(byHost, s.hostname, s);
  const frozenWorkloads = Object.freeze(workloads);
  return Object.freeze({
    services: Object.freeze(services),
    workloads: frozenWorkloads,
    servicesByHost: (h: string) => byHost.get(h) ?? [],
    endpoints: (s: Service, port: number) => endpointMap.get(s)?.get(port) ?? [],
    namespaces,
    namespaceLabels: (ns: string) => nsLabels.get(ns),
    serviceAccounts,
  });
}

/** A bare Pod's content as the registry reads it. */
type BarePodView = NonNullable<NonNullable<DeploymentView['template']>['spec']>;

/** A bare Pod seen as a Deployment of one replica whose template is the Pod (its labels and spec). */
function barePod(r: Resource<BarePodView>): DeploymentView {
  return { replicas: 1, template: { metadata: { labels: { ...(r.metadata.labels ?? {}) } }, spec: r.spec } };
}

function deploymentPods(r: Resource<DeploymentView>, options: RegistryOptions, asPod?: DeploymentView): Workload[] {
  const spec = asPod ?? r.spec;
  const replicas = spec.replicas ?? 1;
  const podSpec = spec.template?.spec ?? {};
  const namedPorts: Record<string, number> = {};
  const containerPorts: number[] = [];
  for (const c of podSpec.containers ?? []) {
    for (const p of c.ports ?? []) {
      containerPorts.push(p.containerPort);
      if (p.name) namedPorts[p.name] = p.containerPort;
    }
  }
  const out: Workload[] = [];
  for (let i = 0; i < replicas; i++) {
    const name = asPod ? r.metadata.name : podName(r.metadata.name, i);
    out.push({
      name,
      namespace: r.metadata.namespace,
      labels: spec.template?.metadata?.labels ?? {},
      // Weft has no Nodes: the pod template's topology labels stand for its node's (registry/locality.ts).
      locality: workloadLocality(undefined, spec.template?.metadata?.labels),
      serviceAccount: podSpec.serviceAccountName ?? podSpec.serviceAccount ?? 'default',
      address: options.podAddress?.({ name, namespace: r.metadata.namespace, deployment: r.metadata.name, replica: i }),
      namedPorts,
      containerPorts,
      origin: { kind: asPod ? 'Pod' : 'Deployment', namespace: r.metadata.namespace, name: r.metadata.name, replica: i },
    });
  }
  return out;
}

function resolveTargetPort(sp: ServicePort, w: Workload): number | undefined {
  // A WorkloadEntry's `ports` map (by service port name) overrides the target port, as in Istio.
  if (w.origin.kind === 'WorkloadEntry' && w.namedPorts[sp.name] !== undefined) return w.namedPorts[sp.name];
  const t = sp.targetPort ?? sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  return w.namedPorts[t];
}

function endpointOf(hostname: string, sp: ServicePort, w: Workload, address: string, port: number, healthy: boolean): Endpoint {
  return {
    hostname, servicePort: sp, address, port, labels: w.labels, serviceAccount: w.serviceAccount,
    workload: w, weight: w.weight ?? 1, locality: w.locality, healthy,
  };
}

function addManifestEndpoints(
  svc: Service,
  eps: Map<number, Endpoint[]>,
  endpoints: EndpointsView[] | undefined,
  slices: EndpointSliceView[] | undefined,
): void {
  const portFor = (name: string | undefined, list: { name?: string; port?: number }[] | undefined, sp: ServicePort) =>
    list?.find((p) => (p.name ?? '') === (name ?? ''))?.port ?? (list?.length === 1 ? list[0]!.port : undefined) ?? (typeof sp.targetPort === 'number' ? sp.targetPort : undefined);
  for (const e of endpoints ?? []) {
    for (const subset of e.subsets ?? []) {
      for (const sp of svc.ports) {
        const port = portFor(sp.name, subset.ports, sp);
        if (port === undefined) continue;
        for (const a of subset.addresses ?? []) push(eps, sp.port, { hostname: svc.hostname, servicePort: sp, address: a.ip, port, labels: {}, weight: 1, healthy: true });
        for (const a of subset.notReadyAddresses ?? []) push(eps, sp.port, { hostname: svc.hostname, servicePort: sp, address: a.ip, port, labels: {}, weight: 1, healthy: false });
      }
    }
  }
  for (const s of slices ?? []) {
    for (const sp of svc.ports) {
      const port = portFor(sp.name, s.ports, sp);
      if (port === undefined) continue;
      for (const e of s.endpoints ?? []) {
        for (const a of e.addresses) push(eps, sp.port, { hostname: svc.hostname, servicePort: sp, address: a, port, labels: {}, weight: 1, healthy: e.conditions?.ready !== false });
      }
    }
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
