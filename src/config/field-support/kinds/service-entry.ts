/** ServiceEntry, WorkloadEntry and WorkloadGroup field support (istio.io/api networking/v1). Registry: `src/registry/build-registry.ts`. */
import { T } from '../tests.js';
import { enforced, enforcedUntested, unsupported, under, type FieldTable } from '../types.js';

/** WorkloadEntry's fields, shared with ServiceEntry `endpoints[]` and WorkloadGroup `template`. */
const workloadEntryBody: FieldTable = {
  'address': enforced(T.inboundClusters, 'an inbound cluster per target port, STATIC to the app address'),
  'ports': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
  'labels': enforced(T.endpoints, 'one assignment per EDS cluster; each subset holds exactly the endpoints of its version'),
  'serviceAccount': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
  'weight': enforced(T.endpoints, 'endpoints carry weight, health, the auto-mTLS match label and istio workload metadata'),
  'locality': enforced(T.localityLb, 'endpoint localities: WorkloadEntry locality, topology labels on a pod template or a WorkloadEntry, istio-locality'),
  'network': unsupported('Weft runs a single network: multi-network gateways are not implemented'),
  'priority': unsupported('not an Istio field (istio/api 1.31 WorkloadEntry has no priority): accepted by Weft, but it does nothing'),
};

/** Every ServiceEntry field Weft accepts, with what it does. */
export const serviceEntryFields: FieldTable = {
  'spec.hosts': enforced(T.outboundClusters, 'TLS SIMPLE to an external ServiceEntry: STRICT_DNS with the host as endpoint, TLS with SNI and system CA'),
  'spec.addresses': enforced(T.destinationSubnets, 'ServiceEntry CIDR address: every destination inside the CIDR reaches the service'),
  'spec.ports[].number': enforced(T.registry, 'a ServiceEntry gives one service per host; DNS resolution without endpoints resolves the host'),
  'spec.ports[].name': enforced(T.registry, 'a ServiceEntry gives one service per host; DNS resolution without endpoints resolves the host'),
  'spec.ports[].protocol': enforced(T.registry, 'a ServiceEntry gives one service per host; DNS resolution without endpoints resolves the host'),
  'spec.ports[].targetPort': enforcedUntested('endpoint port when endpoints do not name one'),
  'spec.location': enforced(T.registry, 'a ServiceEntry gives one service per host; DNS resolution without endpoints resolves the host'),
  'spec.resolution': enforced(T.outboundClusters, 'DNS_ROUND_ROBIN → LOGICAL_DNS with one endpoint; resolution NONE → ORIGINAL_DST; gateways get no Passthrough or inbound clusters'),
  'spec.exportTo': enforcedUntested('visibility of the service to other namespaces'),
  'spec.subjectAltNames': enforcedUntested('SANs verified on upstream connections'),
  'spec.workloadSelector.labels': enforcedUntested('selects the workloads (pods, WorkloadEntries) backing the service'),
  ...under('spec.endpoints[]', workloadEntryBody),
};

/** Every WorkloadEntry field Weft accepts. */
export const workloadEntryFields: FieldTable = under('spec', workloadEntryBody);

const WG = 'WorkloadGroup is accepted for analysis, but Weft does not auto-register VM workloads from it';

/** Every WorkloadGroup field Weft accepts (none is acted on). */
export const workloadGroupFields: FieldTable = {
  ...Object.fromEntries(Object.keys(under('spec.template', workloadEntryBody)).map((k) => [k, unsupported(WG)])),
  ...Object.fromEntries(
    [
      'spec.metadata.annotations', 'spec.metadata.labels', 'spec.probe.exec.command', 'spec.probe.failureThreshold', 'spec.probe.grpc.port',
      'spec.probe.grpc.service', 'spec.probe.httpGet.host', 'spec.probe.httpGet.httpHeaders[].name', 'spec.probe.httpGet.httpHeaders[].value',
      'spec.probe.httpGet.path', 'spec.probe.httpGet.port', 'spec.probe.httpGet.scheme', 'spec.probe.initialDelaySeconds', 'spec.probe.periodSeconds',
      'spec.probe.successThreshold', 'spec.probe.tcpSocket.host', 'spec.probe.tcpSocket.port', 'spec.probe.timeoutSeconds',
    ].map((k) => [k, unsupported(WG)]),
  ),
};
