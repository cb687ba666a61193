import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sidecarKind } from './sidecar.js';

const validate = (spec: unknown) => sidecarKind.validate(spec, { name: 'x', namespace: 'default' });

function ok(spec: unknown): void {
  const r = validate(spec);
  const errs = r.issues.filter((i) => i.level === 'Error');
  assert.deepEqual(errs, [], JSON.stringify(errs));
  assert.ok(r.spec);
}

function fails(spec: unknown, path: (string | number)[], fragment: string): void {
  const r = validate(spec);
  assert.equal(r.spec, undefined, 'expected the spec to be rejected');
  const hit = r.issues.find((i) => i.level === 'Error' && JSON.stringify(i.path) === JSON.stringify(path) && i.message.includes(fragment));
  assert.ok(hit, `no error at ${JSON.stringify(path)} containing "${fragment}"; got ${JSON.stringify(r.issues)}`);
}

describe('Sidecar: Istio samples', () => {
  it('accepts the namespace-wide default egress example', () => {
    ok({ egress: [{ hosts: ['./*', 'istio-system/*'] }] });
  });
  it('accepts the ingress/egress example with every field', () => {
    ok({
      workloadSelector: { labels: { app: 'ratings' } },
      ingress: [{
        port: { number: 9080, protocol: 'HTTP', name: 'somename' }, defaultEndpoint: 'unix:///var/run/someuds.sock',
        connectionPool: { http: { http1MaxPendingRequests: 10 } }, captureMode: 'IPTABLES',
      }, {
        port: { number: 9443, protocol: 'HTTPS', name: 'https' }, defaultEndpoint: '127.0.0.1:8443', bind: '0.0.0.0',
        tls: { mode: 'SIMPLE', privateKey: '/etc/certs/privatekey.pem', serverCertificate: '/etc/certs/servercert.pem' },
      }],
      egress: [
        { port: { number: 9080, protocol: 'HTTP', name: 'egresshttp' }, hosts: ['prod-us1/*'] },
        { port: { number: 0, protocol: 'HTTP', name: 'uds' }, bind: 'unix:///var/run/app.sock', captureMode: 'NONE', hosts: ['*/*.example.com'] },
        { hosts: ['istio-system/*'] },
      ],
      outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com', subset: 'v1', port: { number: 3128 } } },
      inboundConnectionPool: { http: { http1MaxPendingRequests: 1024, idleTimeout: '30s' } },
    });
    ok({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  });
  it('accepts the fields istio/api 1.31 added: http2KeepAlive on both pools, caCertCredentialName and insecureSkipVerify on ingress TLS', () => {
    const keepAlive = { http: { http2KeepAlive: { interval: '10s', timeout: '3s' } } };
    ok({
      inboundConnectionPool: keepAlive,
      ingress: [{
        port: { number: 9443, protocol: 'HTTPS', name: 'https' }, defaultEndpoint: '127.0.0.1:8443', connectionPool: keepAlive,
        tls: { mode: 'MUTUAL', privateKey: '/k.pem', serverCertificate: '/c.pem', caCertificates: '/ca.pem', caCertCredentialName: 'ca', insecureSkipVerify: true },
      }],
    });
    fails({ inboundConnectionPool: { http: { http2KeepAlive: { every: '1s' } } } }, ['spec', 'inboundConnectionPool', 'http', 'http2KeepAlive', 'every'], 'unknown field');
  });
});

describe('Sidecar: webhook rules', () => {
  it('rejects unknown fields and empty configurations', () => {
    fails({ egress: [{ hosts: ['./*'], foo: 1 }] }, ['spec', 'egress', 0, 'foo'], 'unknown field');
    fails({}, ['spec'], 'empty configuration');
  });
  it('requires namespace/host egress entries', () => {
    fails({ egress: [{ hosts: ['reviews.default.svc.cluster.local'] }] }, ['spec', 'egress', 0, 'hosts', 0], 'host must be of form namespace/dnsName');
    fails({ egress: [{ hosts: ['ns1/reviews'] }] }, ['spec', 'egress', 0, 'hosts', 0], 'short names');
    fails({ egress: [{ hosts: ['Bad_NS/*'] }] }, ['spec', 'egress', 0, 'hosts', 0], 'invalid namespace value');
    fails({ egress: [{ hosts: [] }] }, ['spec', 'egress', 0, 'hosts'], 'at least one host');
  });
  it('places the catch-all egress listener last', () => {
    fails({ egress: [{ hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP' }, hosts: ['./*'] }] }, ['spec', 'egress', 0], 'should be the last listener');
  });
  it('warns (WFT0100) that a unix:// egress bind is not listened on, and still loads it', () => {
    const r = validate({ egress: [{ port: { number: 0, protocol: 'HTTP' }, bind: 'unix:///var/run/app.sock', captureMode: 'NONE', hosts: ['./*'] }] });
    assert.ok(r.spec);
    const w = r.issues.find((i) => i.level === 'Warning' && i.code === 'WFT0100' && JSON.stringify(i.path) === JSON.stringify(['spec', 'egress', 0, 'bind']));
    assert.ok(w, JSON.stringify(r.issues));
  });
  it('checks ports, binds and unix sockets', () => {
    fails({ egress: [{ port: { number: 80, protocol: 'HTTP' }, hosts: ['./*'] }, { port: { number: 80, protocol: 'HTTP' }, hosts: ['./*'] }] }, ['spec', 'egress', 1, 'port', 'number'], 'must be unique');
    fails({ egress: [{ port: { number: 0, protocol: 'HTTP' }, hosts: ['./*'] }] }, ['spec', 'egress', 0, 'bind'], 'unix domain socket bind address');
    fails({ egress: [{ port: { number: 0, protocol: 'HTTP' }, bind: 'unix:///a.sock', captureMode: 'IPTABLES', hosts: ['./*'] }] }, ['spec', 'egress', 0, 'captureMode'], 'DEFAULT/NONE');
    fails({ egress: [{ port: { number: 80, protocol: 'FTP' }, hosts: ['./*'] }] }, ['spec', 'egress', 0, 'port', 'protocol'], 'unsupported protocol');
    fails({ egress: [{ port: { number: 80, protocol: 'HTTP', targetPort: 8080 }, hosts: ['./*'] }] }, ['spec', 'egress', 0, 'port', 'targetPort'], 'no impact on Sidecars');
    fails({ ingress: [{ port: { number: 80, protocol: 'HTTP' }, bind: 'example' }] }, ['spec', 'ingress', 0, 'bind'], 'not a valid IP');
    fails({ ingress: [{ bind: '0.0.0.0' }] }, ['spec', 'ingress', 0, 'port'], 'port is required');
  });
  it('checks defaultEndpoint and ingress TLS', () => {
    fails({ ingress: [{ port: { number: 80, protocol: 'HTTP' }, defaultEndpoint: '10.0.0.1:80' }] }, ['spec', 'ingress', 0, 'defaultEndpoint'], 'must be of form 127.0.0.1');
    fails({ ingress: [{ port: { number: 80, protocol: 'HTTP' }, tls: { mode: 'SIMPLE', credentialName: 'c' } }] }, ['spec', 'ingress', 0, 'tls', 'credentialName'], 'not currently supported');
    fails({ ingress: [{ port: { number: 80, protocol: 'HTTP' }, tls: { mode: 'SIMPLE', serverCertificate: '/s', privateKey: '/k' } }] }, ['spec', 'ingress', 0, 'tls'], 'non HTTPS/TLS ports');
    fails({ ingress: [{ port: { number: 443, protocol: 'HTTPS' }, tls: { mode: 'ISTIO_MUTUAL' } }] }, ['spec', 'ingress', 0, 'tls', 'mode'], 'cannot set mode to ISTIO_MUTUAL');
  });
  it('checks the outbound traffic policy and connection pools', () => {
    fails({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY', egressProxy: { host: 'a.example.com', port: { number: 80 } } } }, ['spec', 'outboundTrafficPolicy', 'egressProxy'], 'only with ALLOW_ANY');
    fails({ outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'a.example.com' } } }, ['spec', 'outboundTrafficPolicy', 'egressProxy', 'port'], 'must be non-nil');
    fails({ inboundConnectionPool: {} }, ['spec', 'inboundConnectionPool'], 'at least one field');
  });
  it('warns about duplicate egress hosts and empty selectors', () => {
    const r = validate({ workloadSelector: {}, egress: [{ hosts: ['ns1/*', 'ns1/a.example.com'] }] });
    assert.ok(r.spec);
    const msgs = r.issues.filter((i) => i.level === 'Warning').map((i) => i.message);
    assert.ok(msgs.some((m) => m.includes('duplicated egress host: ns1/a.example.com')), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.includes('will be applied to all services in namespace')));
  });
});
