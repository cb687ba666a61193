import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { caCertificateAnalyzer } from './dr-ca-certificates.js';


const positive = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-tls
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: SIMPLE
`;

const negative = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-tls
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: SIMPLE
      caCertificates: /etc/certs/ca.pem
`;

test('dr-ca-certificates: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, caCertificateAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0128');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'DestinationRule default/db-tls');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'mode: SIMPLE', 1));
});

test('dr-ca-certificates: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, caCertificateAnalyzer).map((m) => m.message), []);
});

test('dr-ca-certificates: texts read as istioctl prints them (rule as namespace/name, port as number:N); insecureSkipVerify does not exempt', () => {
  const yaml = service('reviews') + `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db-tls
spec:
  host: mydbserver.prod.svc.cluster.local
  trafficPolicy:
    tls:
      mode: SIMPLE
      insecureSkipVerify: true
    portLevelSettings:
    - port:
        number: 443
      tls:
        mode: MUTUAL
        clientCertificate: /etc/certs/client.pem
        privateKey: /etc/certs/client-key.pem
`;
  assert.deepEqual(analyzeYaml(yaml, caCertificateAnalyzer).map((m) => `${m.code} ${m.message}`), [
    'IST0128 DestinationRule default/db-tls in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: mydbserver.prod.svc.cluster.local',
    'IST0129 DestinationRule default/db-tls in namespace default has TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: mydbserver.prod.svc.cluster.local at port number:443',
  ]);
});
