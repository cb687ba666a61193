/** Gateway field support (istio.io/api networking/v1 gateway.proto); translation in `src/translate/listener/gateway-listeners.ts`. */
import { T } from '../tests.js';
import { each, enforced, enforcedUntested, unsupported, type FieldTable } from '../types.js';

const SI = T.secureIngress;

/** Every Gateway field Weft accepts, with what it does. */
export const gatewayFields: FieldTable = {
  'spec.selector': enforced(T.simGateway, 'listens on 8080 with RDS http.8080'),
  'spec.servers[].port.number': enforced(T.simGateway, 'listens on 8080 with RDS http.8080'),
  'spec.servers[].port.name': enforced(T.simGateway, 'HTTPS server: SNI-selected chain with SDS certificate and RDS https.443.https.gw.istio-system', 'part of the HTTPS route configuration name, as istiod'),
  'spec.servers[].port.protocol': enforced(T.tcp, 'gateway TCP server: tcp-echo lines come back prefixed, half-close honoured'),
  'spec.servers[].port.targetPort': unsupported('targetPort has no effect on a Gateway server (Istio uses it on ServiceEntry ports only): the listener port comes from the gateway Service'),
  'spec.servers[].hosts': enforced(T.simGateway, 'a server host qualified with another namespace does not admit the VirtualService'),
  'spec.servers[].name': enforcedUntested('server name (informational, as in Istio)'),
  'spec.servers[].bind': unsupported('the gateway listens on every address: servers.bind only changes the route name (issue 12)'),
  'spec.servers[].defaultEndpoint': unsupported('defaultEndpoint applies to Sidecar ingress listeners; gateways ignore it (Istio does not use it on gateways either)'),
  'spec.servers[].tls.httpsRedirect': enforced(SI, 'httpsRedirect: plain HTTP gets 301 to https'),
  'spec.servers[].tls.mode': enforced(SI, 'MUTUAL: no client certificate → TLS failure; with --cert/--key → 200'),
  'spec.servers[].tls.credentialName': enforced(SI, 'SIMPLE: curl --cacert reaches httpbin through the gateway (418), the app sees x-forwarded-proto https'),
  'spec.servers[].tls.serverCertificate': enforced(SI, 'file-based certificates (serverCertificate/privateKey)'),
  'spec.servers[].tls.privateKey': enforced(SI, 'file-based certificates (serverCertificate/privateKey)'),
  'spec.servers[].tls.caCertificates': enforcedUntested('CA file verifying client certificates under MUTUAL'),
  'spec.servers[].tls.subjectAltNames': enforcedUntested('SANs a client certificate must carry under MUTUAL'),
  'spec.servers[].tls.minProtocolVersion': enforced(SI, 'minProtocolVersion, maxProtocolVersion and cipherSuites apply per server'),
  'spec.servers[].tls.maxProtocolVersion': enforced(SI, 'minProtocolVersion, maxProtocolVersion and cipherSuites apply per server'),
  'spec.servers[].tls.cipherSuites': enforced(SI, 'minProtocolVersion, maxProtocolVersion and cipherSuites apply per server'),
  'spec.servers[].tls.caCrl': unsupported('the gateway does not check client certificates against a CRL yet (issue 12)'),
  'spec.servers[].tls.credentialNames': unsupported('only one certificate per server is served: dual RSA/ECDSA credentials are not implemented (issue 12)'),
  ...each(
    ['spec.servers[].tls.tlsCertificates[].serverCertificate', 'spec.servers[].tls.tlsCertificates[].privateKey', 'spec.servers[].tls.tlsCertificates[].caCertificates'],
    unsupported('only one certificate per server is served: dual RSA/ECDSA tlsCertificates are not implemented (issue 12)'),
  ),
  'spec.servers[].tls.verifyCertificateSpki': unsupported('client certificate pinning is not implemented: the pin is not checked (issue 12)'),
  'spec.servers[].tls.verifyCertificateHash': unsupported('client certificate pinning is not implemented: the pin is not checked (issue 12)'),
  'spec.servers[].tls.caCertCredentialName': unsupported('client CAs come from the credentialName secret (or its -cacert companion): a separate caCertCredentialName is not read yet (issue 12)'),
  'spec.servers[].tls.insecureSkipVerify': unsupported('client certificates that fail verification are refused: insecureSkipVerify (Gateway API AllowInsecureFallback) is not implemented (issue 12)'),
};
