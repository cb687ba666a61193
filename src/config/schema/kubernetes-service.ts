/**
 * The Kubernetes service registry kinds: core/v1 Service and Endpoints, discovery.k8s.io/v1
 * EndpointSlice. Validated as the API server validates them (port names, numbers and protocols,
 * duplicate ports, ExternalName rules, IP formats, selector labels).
 */
import { z } from 'zod';
import { defineKind, int, type IssueSink } from './common.js';
import { checkLabels, isDns1123Label, isDns1123Subdomain, isIanaSvcName, isIp, labelKeyError, objectReference } from './kubernetes-names.js';
import { isIPv4, isIPv6 } from 'node:net';

type Path = (string | number)[];

const protocol = z.enum(['TCP', 'UDP', 'SCTP']);

const servicePort = z.strictObject({
  name: z.string().optional(),
  protocol: protocol.optional(),
  appProtocol: z.string().optional(),
  port: int,
  targetPort: z.union([int, z.string()], { error: 'targetPort must be a port number or a port name' }).optional(),
  nodePort: int.optional(),
});
/** One Service port; `targetPort` is a number or the name of a container port (default: `port`). */
export type ServicePortSpec = z.infer<typeof servicePort>;

const serviceSpecSchema = z.strictObject({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
  selector: z.record(z.string(), z.string()).nullable().optional(),
  ports: z.array(servicePort).optional(),
  clusterIP: z.string().optional(),
  clusterIPs: z.array(z.string()).optional(),
  externalIPs: z.array(z.string()).optional(),
  externalName: z.string().optional(),
  externalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  internalTrafficPolicy: z.enum(['Cluster', 'Local']).optional(),
  sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
  sessionAffinityConfig: z.strictObject({
    clientIP: z.strictObject({ timeoutSeconds: int.optional() }).optional(),
  }).optional(),
  ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).max(2, 'at most two ipFamilies are allowed').optional(),
  ipFamilyPolicy: z.enum(['SingleStack', 'PreferDualStack', 'RequireDualStack']).optional(),
  loadBalancerIP: z.string().optional(),
  loadBalancerSourceRanges: z.array(z.string()).optional(),
  loadBalancerClass: z.string().optional(),
  allocateLoadBalancerNodePorts: z.boolean().optional(),
  healthCheckNodePort: int.optional(),
  publishNotReadyAddresses: z.boolean().optional(),
  trafficDistribution: z.string().optional(),
});
/** A Service's spec (`type` absent means ClusterIP; `clusterIP: None` makes it headless). */
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;

const inPortRange = (n: number) => n >= 1 && n <= 65535;

function checkAppProtocol(value: string | undefined, sink: IssueSink, path: Path): void {
  if (value === undefined) return;
  const e = labelKeyError(value);
  if (e) sink.error(path, `invalid appProtocol "${value}": must be a standard service name or a domain-prefixed name`);
}

/** Port names DNS labels, unique, required when there are several; numbers in range. */
function checkPortList(
  ports: readonly { name?: string; port?: number; protocol?: string }[],
  sink: IssueSink,
  path: Path,
  requireNames = true,
): void {
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((p, i) => {
    const pp = [...path, i];
    if (p.name === undefined || p.name === '') {
      if (requireNames && ports.length > 1) sink.error([...pp, 'name'], 'name is required when there is more than one port');
    } else {
      if (!isDns1123Label(p.name)) sink.error([...pp, 'name'], `invalid port name "${p.name}": must be a lowercase RFC 1123 label`);
      if (names.has(p.name)) sink.error([...pp, 'name'], `duplicate port name "${p.name}"`);
      names.add(p.name);
    }
    if (p.port !== undefined && !inPortRange(p.port)) {
      sink.error([...pp, 'port'], `port ${p.port} must be in the range 1-65535`);
    }
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (p.port !== undefined && numbers.has(key)) sink.error(pp, `duplicate port ${p.port}/${p.protocol ?? 'TCP'}`);
    numbers.add(key);
  });
}

function checkService(spec: ServiceSpec, sink: IssueSink): void {
  const type = spec.type ?? 'ClusterIP';
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') sink.error(['ports'], 'at least one port is required');
  checkPortList(ports, sink, ['ports']);
  ports.forEach((p, i) => {
    const pp = ['ports', i];
    if (typeof p.targetPort === 'number' && !inPortRange(p.targetPort)) {
      sink.error([...pp, 'targetPort'], `targetPort ${p.targetPort} must be in the range 1-65535`);
    } else if (typeof p.targetPort === 'string' && !isIanaSvcName(p.targetPort)) {
      sink.error([...pp, 'targetPort'], `invalid targetPort name "${p.targetPort}": must be at most 15 lowercase alphanumerics or "-" with a letter`);
    }
    if (p.nodePort !== undefined) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') sink.error([...pp, 'nodePort'], 'may only be set when type is NodePort or LoadBalancer');
      else if (!inPortRange(p.nodePort)) sink.error([...pp, 'nodePort'], `nodePort ${p.nodePort} must be in the range 1-65535`);
    }
    checkAppProtocol(p.appProtocol, sink, [...pp, 'appProtocol']);
  });
  checkLabels(spec.selector ?? undefined, sink, ['selector']);
  if (type === 'ExternalName') {
    if (!spec.externalName) sink.error(['externalName'], 'externalName is required when type is ExternalName');
    else if (!isDns1123Subdomain(spec.externalName.replace(/\.$/, ''))) {
      sink.error(['externalName'], `invalid externalName "${spec.externalName}": must be a lowercase RFC 1123 subdomain`);
    }
    if (spec.clusterIP) sink.error(['clusterIP'], 'must not be set when type is ExternalName');
  }
  if (spec.clusterIP && spec.clusterIP !== 'None' && !isIp(spec.clusterIP)) {
    sink.error(['clusterIP'], `invalid clusterIP "${spec.clusterIP}": must be "None", empty or an IP address`);
  }
  spec.clusterIPs?.forEach((ip, i) => {
    if (ip !== 'None' && !isIp(ip)) sink.error(['clusterIPs', i], `invalid clusterIP "${ip}"`);
  });
  if (spec.clusterIP && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP) {
    sink.error(['clusterIPs', 0], 'must match clusterIP when both are set');
  }
  spec.externalIPs?.forEach((ip, i) => {
    if (!isIp(ip)) sink.error(['externalIPs', i], `invalid IP address "${ip}"`);
  });
  if (spec.externalTrafficPolicy !== undefined && type !== 'NodePort' && type !== 'LoadBalancer') {
    sink.error(['externalTrafficPolicy'], 'may only be set when type is NodePort or LoadBalancer');
  }
  if (spec.sessionAffinityConfig !== undefined && spec.sessionAffinity !== 'ClientIP') {
    sink.error(['sessionAffinityConfig'], 'must not be set when sessionAffinity is not ClientIP');
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && !(timeout >= 1 && timeout <= 86400)) {
    sink.error(['sessionAffinityConfig', 'clientIP', 'timeoutSeconds'], 'must be in the range 1-86400');
  }
}

/** Service, core v1. */
export const serviceKind = defineKind<ServiceSpec>({
  kind: 'Service',
  group: '',
  versions: ['v1'],
  plural: 'services',
  namespaced: true,
  schema: serviceSpecSchema,
  check: checkService,
});

const endpointAddress = z.strictObject({
  ip: z.string(),
  hostname: z.string().optional(),
  nodeName: z.string().optional(),
  targetRef: objectReference.optional(),
});

const endpointPort = z.strictObject({
  name: z.string().optional(),
  port: int,
  protocol: protocol.optional(),
  appProtocol: z.string().optional(),
});

const endpointsSchema = z.strictObject({
  subsets: z.array(z.strictObject({
    addresses: z.array(endpointAddress).optional(),
    notReadyAddresses: z.array(endpointAddress).optional(),
    ports: z.array(endpointPort).optional(),
  })).optional(),
});
/** The content of an Endpoints object: its top-level `subsets`. */
export type EndpointsContent = z.infer<typeof endpointsSchema>;

function checkEndpoints(content: EndpointsContent, sink: IssueSink): void {
  content.subsets?.forEach((subset, i) => {
    for (const field of ['addresses', 'notReadyAddresses'] as const) {
      subset[field]?.forEach((a, j) => {
        const p = ['subsets', i, field, j];
        if (!isIp(a.ip)) sink.error([...p, 'ip'], `invalid IP address "${a.ip}"`);
        if (a.hostname !== undefined && !isDns1123Label(a.hostname)) sink.error([...p, 'hostname'], `invalid hostname "${a.hostname}"`);
      });
    }
    checkPortList(subset.ports ?? [], sink, ['subsets', i, 'ports']);
    subset.ports?.forEach((p, j) => checkAppProtocol(p.appProtocol, sink, ['subsets', i, 'ports', j, 'appProtocol']));
  });
}

/** Endpoints, core v1 (content: `subsets`). */
export const endpointsKind = defineKind<EndpointsContent>({
  kind: 'Endpoints',
  group: '',
  versions: ['v1'],
  plural: 'endpoints',
  namespaced: true,
  content: ['subsets'],
  schema: endpointsSchema,
  check: checkEndpoints,
});

const sliceEndpoint = z.strictObject({
  addresses: z.array(z.string()).min(1, 'at least one address is required').max(100, 'at most 100 addresses are allowed'),
  conditions: z.strictObject({
    ready: z.boolean().nullable().optional(),
    serving: z.boolean().nullable().optional(),
    terminating: z.boolean().nullable().optional(),
  }).optional(),
  hostname: z.string().optional(),
  targetRef: objectReference.optional(),
  nodeName: z.string().optional(),
  zone: z.string().optional(),
  hints: z.strictObject({
    forZones: z.array(z.strictObject({ name: z.string() })).optional(),
    forNodes: z.array(z.strictObject({ name: z.string() })).optional(),
  }).optional(),
  deprecatedTopology: z.record(z.string(), z.string()).optional(),
});

const endpointSliceSchema = z.strictObject({
  addressType: z.enum(['IPv4', 'IPv6', 'FQDN']),
  // `kubectl get -o yaml` writes an empty slice as `endpoints: null`.
  endpoints: z.array(sliceEndpoint).max(1000, 'at most 1000 endpoints are allowed').nullable().transform((e) => e ?? []),
  ports: z.array(z.strictObject({
    name: z.string().nullable().optional(),
    protocol: protocol.nullable().optional(),
    port: int.nullable().optional(),
    appProtocol: z.string().nullable().optional(),
  })).max(100, 'at most 100 ports are allowed').optional(),
});
/** The content of an EndpointSlice: `addressType`, `endpoints` (`null` normalized to `[]`), `ports`. */
export type EndpointSliceContent = z.infer<typeof endpointSliceSchema>;

function checkEndpointSlice(content: EndpointSliceContent, sink: IssueSink): void {
  const valid = content.addressType === 'IPv4' ? isIPv4 : content.addressType === 'IPv6' ? isIPv6 : isDns1123Subdomain;
  content.endpoints.forEach((ep, i) => {
    ep.addresses.forEach((a, j) => {
      if (!valid(a)) sink.error(['endpoints', i, 'addresses', j], `invalid ${content.addressType} address "${a}"`);
    });
    if (ep.hostname !== undefined && !isDns1123Label(ep.hostname)) sink.error(['endpoints', i, 'hostname'], `invalid hostname "${ep.hostname}"`);
  });
  const ports = (content.ports ?? []).map((p) => ({ name: p.name ?? undefined, port: p.port ?? undefined, protocol: p.protocol ?? undefined }));
  // A slice mirrors its Service's ports; an unnamed one among several is not an error here.
  checkPortList(ports, sink, ['ports'], false);
}

/** EndpointSlice, discovery.k8s.io v1 (content: `addressType`, `endpoints`, `ports`). */
export const endpointSliceKind = defineKind<EndpointSliceContent>({
  kind: 'EndpointSlice',
  group: 'discovery.k8s.io',
  versions: ['v1'],
  plural: 'endpointslices',
  namespaced: true,
  content: ['addressType', 'endpoints', 'ports'],
  schema: endpointSliceSchema,
  check: checkEndpointSlice,
});
