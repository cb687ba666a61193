/** Sidecar field support (istio.io/api networking/v1 sidecar.proto); scoping in `src/translate/proxy-scope.ts`. */
import { T } from '../tests.js';
import { enforced, enforcedUntested, unsupported, under, type FieldTable } from '../types.js';
import { connectionPoolFields } from './traffic-policy.js';

const INGRESS = 'Sidecar ingress listeners are not implemented: inbound traffic follows the workload\'s Service ports (issue 12)';
const POOL = 'inbound connection pool settings are not applied to inbound clusters yet (issue 12)';

const allUnsupported = (t: FieldTable, reason: string): FieldTable => Object.fromEntries(Object.keys(t).map((k) => [k, unsupported(reason)]));

const serverTls = [
  'caCertificates', 'caCrl', 'cipherSuites', 'credentialName', 'credentialNames', 'httpsRedirect', 'maxProtocolVersion', 'minProtocolVersion',
  'mode', 'privateKey', 'serverCertificate', 'subjectAltNames', 'tlsCertificates[].caCertificates', 'tlsCertificates[].privateKey',
  'tlsCertificates[].serverCertificate', 'verifyCertificateHash', 'verifyCertificateSpki',
];

/** Every Sidecar field Weft accepts, with what it does. */
export const sidecarFields: FieldTable = {
  'spec.workloadSelector.labels': enforced(T.simScope, 'a workload-selector Sidecar beats the namespace-wide one'),
  'spec.egress[].hosts': enforced(T.simScope, 'an egress listener with a port narrows what that port sees'),
  'spec.egress[].port.number': enforced(T.simScope, 'an egress listener with a port narrows what that port sees'),
  'spec.egress[].port.name': enforcedUntested('port name (informational, as in Istio)'),
  'spec.egress[].port.protocol': enforced(T.sidecarEgressProtocol, 'Sidecar egress port.protocol TCP: the selected workload proxies the port as opaque TCP (no HTTP fault)'),
  'spec.egress[].port.targetPort': unsupported('targetPort has no meaning on an egress listener (Istio ignores it there too)'),
  'spec.egress[].bind': unsupported('egress listeners always use the proxy\'s outbound listener address: bind is not applied (issue 12)'),
  'spec.egress[].captureMode': unsupported('Weft proxies are explicit (no iptables capture): captureMode has nothing to select'),
  'spec.outboundTrafficPolicy.mode': enforced(T.simScope, "REGISTRY_ONLY from the Sidecar's outboundTrafficPolicy; a ServiceEntry makes the host known"),
  'spec.outboundTrafficPolicy.egressProxy.host': unsupported('egressProxy is not implemented: unknown destinations go to PassthroughCluster (issue 12)'),
  'spec.outboundTrafficPolicy.egressProxy.subset': unsupported('egressProxy is not implemented: unknown destinations go to PassthroughCluster (issue 12)'),
  'spec.outboundTrafficPolicy.egressProxy.port.number': unsupported('egressProxy is not implemented: unknown destinations go to PassthroughCluster (issue 12)'),
  ...allUnsupported(under('spec.inboundConnectionPool', connectionPoolFields), POOL),
  ...allUnsupported(under('spec.ingress[].connectionPool', connectionPoolFields), INGRESS),
  ...allUnsupported(under('spec.ingress[].tls', Object.fromEntries(serverTls.map((k) => [k, unsupported(INGRESS)]))), INGRESS),
  ...Object.fromEntries(
    ['port.number', 'port.name', 'port.protocol', 'port.targetPort', 'bind', 'captureMode', 'defaultEndpoint'].map((k) => [`spec.ingress[].${k}`, unsupported(INGRESS)]),
  ),
};
