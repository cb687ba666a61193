/** Sidecar field support (istio.io/api networking/v1 sidecar.proto); scoping in `src/translate/proxy-scope.ts`. */
import { T } from '../tests.js';
import { enforced, enforcedUntested, unsupported, under, type FieldTable } from '../types.js';
import { connectionPoolFields } from './traffic-policy.js';

const INGRESS_TLS = 'TLS on Sidecar ingress listeners is not applied, as in Istio by default (ENABLE_TLS_ON_SIDECAR_INGRESS is off): an HTTPS/TLS ingress port is proxied as TCP to the app, which terminates TLS (issue 12)';
const ING_PORT = 'ingress port + defaultEndpoint 127.0.0.1:PORT: the app listening on another port answers through the sidecar';
const H2_KEEPALIVE = 'HTTP/2 keepalive PINGs are not sent on inbound connections to the app yet (issue 12)';
const POOL_TEST = 'inboundConnectionPool limits a port without its own pool (503 UO); the ingress connectionPool of a port overrides it';

const EGRESS_PROXY = 'egressProxy: an HTTP request to an unknown destination goes to the egress proxy, Host unchanged';

/**
 * A Sidecar connection pool (`inboundConnectionPool`, `ingress[].connectionPool`): it replaces the
 * DestinationRule's pool on the inbound cluster and goes through the same translation, so each field
 * does what it does in a DestinationRule; the limits are proven inbound by the ingress test, and the
 * HTTP/2 upgrade settings are not applied to inbound clusters, as in istiod.
 */
const inboundPool = (prefix: string): FieldTable => ({
  [`${prefix}.http.http2KeepAlive.interval`]: unsupported(H2_KEEPALIVE),
  [`${prefix}.http.http2KeepAlive.timeout`]: unsupported(H2_KEEPALIVE),
  ...under(prefix, connectionPoolFields),
  [`${prefix}.tcp.maxConnections`]: enforced(T.sidecarIngress, POOL_TEST),
  [`${prefix}.http.http1MaxPendingRequests`]: enforced(T.sidecarIngress, POOL_TEST),
  [`${prefix}.http.h2UpgradePolicy`]: enforcedUntested('as istiod: HTTP/2 upgrade is not applied to inbound clusters (the port protocol decides)'),
  [`${prefix}.http.useClientProtocol`]: enforcedUntested('as istiod: not applied to inbound clusters (the port protocol decides)'),
});

const allUnsupported = (t: FieldTable, reason: string): FieldTable => Object.fromEntries(Object.keys(t).map((k) => [k, unsupported(reason)]));

const serverTls = [
  'caCertCredentialName', 'caCertificates', 'caCrl', 'cipherSuites', 'credentialName', 'credentialNames', 'httpsRedirect', 'maxProtocolVersion', 'minProtocolVersion',
  'mode', 'privateKey', 'serverCertificate', 'subjectAltNames', 'tlsCertificates[].caCertificates', 'tlsCertificates[].privateKey',
  'tlsCertificates[].serverCertificate', 'verifyCertificateHash', 'verifyCertificateSpki', 'insecureSkipVerify',
];

/** Every Sidecar field Weft accepts, with what it does. */
export const sidecarFields: FieldTable = {
  'spec.workloadSelector.labels': enforced(T.simScope, 'a workload-selector Sidecar beats the namespace-wide one'),
  'spec.egress[].hosts': enforced(T.simScope, 'an egress listener with a port narrows what that port sees'),
  'spec.egress[].port.number': enforced(T.simScope, 'an egress listener with a port narrows what that port sees'),
  'spec.egress[].port.name': enforcedUntested('port name (informational, as in Istio)'),
  'spec.egress[].port.protocol': enforced(T.sidecarEgressProtocol, 'Sidecar egress port.protocol TCP: the selected workload proxies the port as opaque TCP (no HTTP fault)'),
  'spec.egress[].port.targetPort': unsupported('targetPort has no meaning on an egress listener (Istio ignores it there too)'),
  'spec.egress[].bind': enforced(T.sidecarEgressBind, "egress bind 127.0.0.1: each pod serves its egress listener on its own address and routes the entry's host", '127.0.0.1/::1/0.0.0.0/:: bind the pod IP (each pod\'s own loopback in Kubernetes); other IPs are bound as given (a taken address is reported naming the Sidecar); unix:// binds are not listened on'),
  'spec.egress[].captureMode': unsupported('Weft proxies are explicit (no iptables capture): captureMode has nothing to select'),
  'spec.outboundTrafficPolicy.mode': enforced(T.simScope, "REGISTRY_ONLY from the Sidecar's outboundTrafficPolicy; a ServiceEntry makes the host known"),
  'spec.outboundTrafficPolicy.egressProxy.host': enforced(T.egressProxy, EGRESS_PROXY),
  'spec.outboundTrafficPolicy.egressProxy.subset': enforcedUntested('the subset names the egress proxy cluster (outbound|port|subset|host), as for any destination'),
  'spec.outboundTrafficPolicy.egressProxy.port.number': enforced(T.egressProxy, EGRESS_PROXY),
  ...inboundPool('spec.inboundConnectionPool'),
  ...inboundPool('spec.ingress[].connectionPool'),
  ...allUnsupported(under('spec.ingress[].tls', Object.fromEntries(serverTls.map((k) => [k, unsupported(INGRESS_TLS)]))), INGRESS_TLS),
  'spec.ingress[].port.number': enforced(T.sidecarIngress, ING_PORT),
  'spec.ingress[].port.protocol': enforced(T.sidecarIngress, ING_PORT, 'HTTP protocols get an HTTP connection manager, others a TCP proxy; unset is detected per connection as istiod does (HTTP/1.1, h2c, TLS, else opaque TCP)'),
  'spec.ingress[].port.name': enforcedUntested('port name (informational, as in Istio)'),
  'spec.ingress[].port.targetPort': unsupported('targetPort has no meaning on an ingress listener (Istio refuses a non-zero one): port.number is the port traffic arrives on'),
  'spec.ingress[].defaultEndpoint': enforced(T.sidecarIngressUds, 'ingress defaultEndpoint unix:///path: HTTP on the listener port reaches the app on its Unix domain socket', '127.0.0.1/0.0.0.0/[::1]/[::] all reach the app (under weft up its own loopback address, HOST; test sidecar-ingress.test.ts); unix:///path is dialled as a Unix domain socket (Envoy pipe address), HTTP and TCP'),
  'spec.ingress[].bind': enforced(T.sidecarIngress, 'ingress bind: the listener accepts on the bind address only; defaultEndpoint 0.0.0.0:PORT reaches the app'),
  'spec.ingress[].captureMode': unsupported('Weft proxies are explicit (no iptables capture): every ingress listener binds its port, as captureMode NONE does in Istio'),
};
