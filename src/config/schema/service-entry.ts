/**
 * ServiceEntry (networking.istio.io v1alpha3, v1beta1, v1): services added to Istio's registry
 * (external APIs, VMs, unmanaged endpoints). Semantics after Istio's `ValidateServiceEntry` and the
 * CRD's CEL rules: hosts, addresses, unique ports, resolution-specific endpoint rules.
 */
import { z } from 'zod';
import type { ObjectMeta } from '../resource.js';
import { defineKind, uint, networkingWorkloadSelector, type IssueSink } from './common.js';
import {
  checkExportTo,
  checkPort,
  checkPortName,
  checkProtocol,
  checkSelectorLabels,
  fqdnError,
  ipSubnetError,
  isHTTPProtocol,
  isIPAddress,
  isTLSProtocol,
  NETWORKING_VERSIONS,
  optUint,
  parseProtocol,
  partialWildcardError,
  SCHEMA_WARNING,
  wildcardDomainError,
} from './networking-common.js';
import { checkWorkloadEntry, workloadEntrySpec } from './workload-entry.js';

/** Istio's ServicePort: number, protocol (sniffed when empty), name, and an optional endpoint port. */
export const servicePort = z.strictObject({
  number: uint,
  protocol: z.string().optional(),
  name: z.string(),
  targetPort: optUint,
});
/** A port of a ServiceEntry. */
export type ServicePort = z.infer<typeof servicePort>;

/** Istio's ServiceEntry spec. */
export const serviceEntrySpec = z.strictObject({
  hosts: z.array(z.string()).optional(),
  addresses: z.array(z.string()).optional(),
  ports: z.array(servicePort).optional(),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
  resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']).optional(),
  endpoints: z.array(workloadEntrySpec).optional(),
  workloadSelector: networkingWorkloadSelector.optional(),
  exportTo: z.array(z.string()).optional(),
  subjectAltNames: z.array(z.string()).optional(),
});
/** A ServiceEntry's content. */
export type ServiceEntrySpec = z.infer<typeof serviceEntrySpec>;

/** Runs Istio's ServiceEntry webhook checks; paths are relative to the spec. */
export function checkServiceEntry(spec: ServiceEntrySpec, sink: IssueSink, meta: ObjectMeta): void {
  if (spec.workloadSelector) {
    checkSelectorLabels(sink, ['workloadSelector', 'labels'], spec.workloadSelector.labels,
      'service entry: workload selector specified without labels, will be applied to all services in namespace');
  }
  if (spec.workloadSelector && spec.endpoints) sink.error([], 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');

  const hosts = spec.hosts ?? [];
  if (hosts.length === 0) sink.error(['hosts'], 'service entry must have at least one host');
  hosts.forEach((h, i) => {
    if (h === '*') {
      sink.error(['hosts', i], `invalid host ${h}`);
      return;
    }
    const err = wildcardDomainError(h);
    if (err) sink.error(['hosts', i], err);
    const partial = partialWildcardError(h);
    if (partial) sink.warn(['hosts', i], partial, SCHEMA_WARNING);
  });

  const resolution = spec.resolution ?? 'NONE';
  let cidr = false;
  spec.addresses?.forEach((a, i) => {
    cidr ||= a.includes('/');
    const err = ipSubnetError(a);
    if (err) sink.error(['addresses', i], err);
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') sink.error(['addresses'], 'CIDR addresses are allowed only for NONE/STATIC resolution types');

  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  spec.ports?.forEach((port, i) => {
    const p = ['ports', i];
    if (portNames.has(port.name)) sink.error([...p, 'name'], `service entry port name "${port.name}" already defined`);
    portNames.add(port.name);
    if (portNumbers.has(port.number)) sink.error([...p, 'number'], `service entry port ${port.number} already defined`);
    portNumbers.add(port.number);
    if (port.targetPort) checkPort(sink, [...p, 'targetPort'], port.targetPort);
    if ((spec.addresses ?? []).length === 0 && (!port.protocol || port.protocol === 'TCP')) {
      sink.warn(p, 'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled', SCHEMA_WARNING);
    }
    checkPortName(sink, [...p, 'name'], port.name);
    checkProtocol(sink, [...p, 'protocol'], port.protocol);
    checkPort(sink, [...p, 'number'], port.number);
  });

  const endpoints = spec.endpoints ?? [];
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0) sink.error(['endpoints'], 'no endpoints should be provided for resolution type none');
      if (spec.workloadSelector) sink.warn(['workloadSelector'], 'workloadSelector should not be set when resolution mode is NONE', SCHEMA_WARNING);
      break;
    case 'STATIC':
      endpoints.forEach((e, i) => checkWorkloadEntry(sink, ['endpoints', i], e, { servicePorts: portNames, allowFQDN: false }));
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      if (endpoints.length === 0) {
        hosts.forEach((h, i) => {
          if (h !== '*' && fqdnError(h)) sink.error(['hosts', i], `hosts must be FQDN if no endpoints are provided for resolution mode ${resolution}`);
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) sink.error(['endpoints'], `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
      endpoints.forEach((e, i) => {
        const addr = e.address ?? '';
        if (!isIPAddress(addr) && fqdnError(addr)) sink.error(['endpoints', i, 'address'], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
        checkWorkloadEntry(sink, ['endpoints', i], e, { servicePorts: portNames, allowFQDN: true, skipAddress: true });
      });
      if ((spec.addresses ?? []).length > 0 && hosts.length > 1 && (spec.ports ?? []).some((pt) => isTCPProtocol(parseProtocol(pt.protocol)))) {
        sink.warn(['hosts'], 'service entry can not have more than one host specified simultaneously with address and tcp port', SCHEMA_WARNING);
      }
      break;
    }
  }
  if (resolution !== 'NONE' && hosts.length > 1) {
    const i = (spec.ports ?? []).findIndex((pt) => {
      const proto = parseProtocol(pt.protocol);
      return !isHTTPProtocol(proto) && !isTLSProtocol(proto);
    });
    if (i >= 0) sink.error(['ports', i, 'protocol'], 'multiple hosts provided with non-HTTP, non-TLS ports');
  }
  checkExportTo(sink, ['exportTo'], meta.namespace, spec.exportTo, { serviceEntry: true });
}

function isTCPProtocol(p: string | undefined): boolean {
  return p === 'TCP' || p === 'HTTPS' || p === 'TLS' || p === 'Mongo' || p === 'Redis' || p === 'MySQL';
}

/** The ServiceEntry kind: schema and Istio's webhook checks (no deprecated fields to map). */
export const serviceEntryKind = defineKind<ServiceEntrySpec>({
  kind: 'ServiceEntry',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'serviceentries',
  namespaced: true,
  schema: serviceEntrySpec,
  check: checkServiceEntry,
});
