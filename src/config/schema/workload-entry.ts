/**
 * WorkloadEntry and WorkloadGroup (networking.istio.io v1alpha3, v1beta1, v1): a non-Kubernetes
 * workload (VM, process) and the template that generates them. The WorkloadEntry message also
 * describes ServiceEntry endpoints, so its schema and checks are exported for `service-entry.ts`.
 * Semantics after Istio's `validateWorkloadEntry`, `ValidateWorkloadGroup`, `validateReadinessProbe`
 * and the CRDs' CEL rules.
 */
import { z } from 'zod';
import { defineKind, int, labels, uint, type IssueSink } from './common.js';
import {
  checkLabels,
  checkPort,
  checkPortName,
  fqdnError,
  isIPAddress,
  NETWORKING_VERSIONS,
  optUint,
  SCHEMA_WARNING,
  UNIX_PREFIX,
  unixAddressError,
  type Path,
} from './networking-common.js';

/** Istio's WorkloadEntry message (a WorkloadEntry's spec, a ServiceEntry endpoint, a WorkloadGroup template). */
export const workloadEntrySpec = z.strictObject({
  address: z.string().max(256, 'address must be at most 256 characters').optional(),
  ports: z.record(z.string(), uint).optional(),
  labels: labels.optional(),
  network: z.string().max(2048).optional(),
  locality: z.string().max(2048).optional(),
  weight: optUint,
  serviceAccount: z.string().max(253).optional(),
  priority: optUint,
});
/** A workload's address, ports, labels, network, locality, weight and identity. */
export type WorkloadEntrySpec = z.infer<typeof workloadEntrySpec>;

/** Options for `checkWorkloadEntry`: the owning ServiceEntry's port names, and whether DNS names may be addresses. */
export interface WorkloadEntryCheckOptions {
  readonly servicePorts?: ReadonlySet<string>;
  readonly allowFQDN: boolean;
  /** Skip the address rules (WorkloadGroup templates get theirs later; DNS endpoints are checked by the caller). */
  readonly skipAddress?: boolean;
}

/**
 * Istio's `validateWorkloadEntry`: an address (IP, unix socket, or FQDN where allowed) or a network;
 * unix endpoints without ports; named ports that exist on the service, in range; valid labels.
 */
export function checkWorkloadEntry(sink: IssueSink, p: Path, we: WorkloadEntrySpec, opts: WorkloadEntryCheckOptions): void {
  const addr = opts.skipAddress ? '' : (we.address ?? '');
  if (addr === '' && !opts.skipAddress) {
    if (!we.network) {
      sink.error([...p, 'address'], 'address is required');
      return;
    }
    sink.warn([...p, 'address'], `address is unset with network "${we.network}"`, SCHEMA_WARNING);
  }
  const unix = addr.startsWith(UNIX_PREFIX);
  if (unix) {
    const err = unixAddressError(addr.slice(UNIX_PREFIX.length));
    if (err) sink.error([...p, 'address'], err);
    if (Object.keys(we.ports ?? {}).length > 0) sink.error([...p, 'ports'], `unix endpoint ${addr} must not include ports`);
  } else if (addr !== '' && !isIPAddress(addr)) {
    if (!opts.allowFQDN) sink.error([...p, 'address'], `endpoint address "${addr}" is not a valid IP address`);
    else if (fqdnError(addr)) sink.error([...p, 'address'], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
  }
  for (const [name, port] of Object.entries(we.ports ?? {})) {
    if (opts.servicePorts && !opts.servicePorts.has(name)) sink.error([...p, 'ports', name], `endpoint port ${port} is not defined by the service entry`);
    checkPortName(sink, [...p, 'ports', name], name);
    checkPort(sink, [...p, 'ports', name], port);
  }
  checkLabels(sink, [...p, 'labels'], we.labels);
  if (unix && opts.servicePorts && opts.servicePorts.size !== 1) sink.error([...p, 'address'], 'exactly 1 service port required for unix endpoints');
}

/** The WorkloadEntry kind: schema and Istio's webhook checks (DNS names allowed as addresses). */
export const workloadEntryKind = defineKind<WorkloadEntrySpec>({
  kind: 'WorkloadEntry',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'workloadentries',
  namespaced: true,
  schema: workloadEntrySpec,
  check: (spec, sink) => checkWorkloadEntry(sink, [], spec, { allowFQDN: true }),
});

const nonNegative = int.min(0, 'must be non-negative').optional();
const probePort = uint;

/** Istio's ReadinessProbe for WorkloadGroup health checking (one of httpGet, tcpSocket, exec, grpc). */
export const readinessProbe = z.strictObject({
  initialDelaySeconds: nonNegative,
  timeoutSeconds: nonNegative,
  periodSeconds: nonNegative,
  successThreshold: nonNegative,
  failureThreshold: nonNegative,
  httpGet: z.strictObject({
    path: z.string().optional(),
    port: probePort,
    host: z.string().optional(),
    scheme: z.string().optional(),
    httpHeaders: z.array(z.strictObject({ name: z.string().optional(), value: z.string().optional() })).optional(),
  }).optional(),
  tcpSocket: z.strictObject({ host: z.string().optional(), port: probePort }).optional(),
  exec: z.strictObject({ command: z.array(z.string()) }).optional(),
  grpc: z.strictObject({ port: optUint, service: z.string().optional() }).optional(),
});
/** A workload readiness probe. */
export type ReadinessProbe = z.infer<typeof readinessProbe>;

/** Istio's WorkloadGroup spec. */
export const workloadGroupSpec = z.strictObject({
  metadata: z.strictObject({ labels: labels.optional(), annotations: labels.optional() }).optional(),
  template: workloadEntrySpec,
  probe: readinessProbe.optional(),
});
/** A WorkloadGroup's content. */
export type WorkloadGroupSpec = z.infer<typeof workloadGroupSpec>;

/** Istio's `validateReadinessProbe`: exactly one method, valid ports, scheme and header names. */
function checkProbe(sink: IssueSink, p: Path, probe: ReadinessProbe | undefined): void {
  if (!probe) return;
  const methods = (['httpGet', 'tcpSocket', 'exec', 'grpc'] as const).filter((m) => probe[m] !== undefined);
  if (methods.length === 0) sink.error(p, 'unknown health check method: one of httpGet, tcpSocket, exec or grpc is required');
  if (methods.length > 1) sink.error(p, `only one of httpGet, tcpSocket, exec or grpc may be set (found ${methods.join(', ')})`);
  const h = probe.httpGet;
  if (h) {
    checkPort(sink, [...p, 'httpGet', 'port'], h.port);
    if (h.scheme && h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') sink.error([...p, 'httpGet', 'scheme'], 'httpGet.scheme must be one of "HTTPS", "HTTP"');
    h.httpHeaders?.forEach((hd, i) => {
      const name = hd.name ?? '';
      if (name === '') sink.error([...p, 'httpGet', 'httpHeaders', i, 'name'], 'header name cannot be empty');
      else if (!/^[-A-Za-z0-9]+$/.test(name)) sink.error([...p, 'httpGet', 'httpHeaders', i, 'name'], `header name ${name} is not a valid header name`);
    });
  }
  if (probe.tcpSocket) checkPort(sink, [...p, 'tcpSocket', 'port'], probe.tcpSocket.port);
  if (probe.exec && probe.exec.command.length === 0) sink.error([...p, 'exec', 'command'], 'exec.command is required');
  if (probe.grpc) checkPort(sink, [...p, 'grpc', 'port'], probe.grpc.port ?? 0);
}

/** The WorkloadGroup kind: schema and Istio's webhook checks. */
export const workloadGroupKind = defineKind<WorkloadGroupSpec>({
  kind: 'WorkloadGroup',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'workloadgroups',
  namespaced: true,
  schema: workloadGroupSpec,
  check: (spec, sink) => {
    checkLabels(sink, ['metadata', 'labels'], spec.metadata?.labels);
    checkWorkloadEntry(sink, ['template'], spec.template, { allowFQDN: true, skipAddress: true });
    checkProbe(sink, ['probe'], spec.probe);
  },
});
