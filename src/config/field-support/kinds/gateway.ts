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
  'spec.servers[].bind': enforced(T.gatewayTls, 'servers.bind: the bound server answers on its address with its own routes; the wildcard listener does not serve its hosts', 'IP addresses; a unix:// socket bind is not listened on'),
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
  'spec.servers[].tls.caCrl': enforced(T.gatewayTls, 'caCrl: a client certificate the CRL revokes is refused, another one from the CA gets 200'),
  'spec.servers[].tls.credentialNames': enforced(T.gatewayTls, 'credentialNames: RSA and ECDSA side by side, the certificate follows the client signature algorithms'),
  ...each(
    ['spec.servers[].tls.tlsCertificates[].serverCertificate', 'spec.servers[].tls.tlsCertificates[].privateKey'],
    enforced(T.gatewayTls, 'tlsCertificates: RSA and ECDSA files side by side, the certificate follows the client signature algorithms'),
  ),
  'spec.servers[].tls.tlsCertificates[].caCertificates': unsupported('the client CA comes from caCertificates (or the credential): a per-certificate CA (hidden in Istio\'s docs) is not read'),
  'spec.servers[].tls.verifyCertificateSpki': enforced(T.gatewayTls, 'verifyCertificateSpki: the pinned client certificate gets 200, another one from the same CA is refused'),
  'spec.servers[].tls.verifyCertificateHash': enforced(T.gatewayTls, 'verifyCertificateHash: the pinned client certificate (colon hex) gets 200, another one from the same CA is refused'),
  'spec.servers[].tls.caCertCredentialName': enforced(T.gatewayTls, 'caCertCredentialName: client certificates are verified against that Secret\'s CA, not the credential\'s', 'a Secret (its -cacert companion, else itself); ConfigMaps are not read'),
  'spec.servers[].tls.insecureSkipVerify': enforced(T.gatewayTls, 'insecureSkipVerify: an untrusted client certificate is let through under MUTUAL; no certificate is still refused'),
};
