import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayKind, type GatewaySpec } from './gateway.js';

const validate = (spec: unknown, name = 'x') => gatewayKind.validate(spec, { name, namespace: 'default' });

function ok(spec: unknown): GatewaySpec {
  const r = validate(spec);
  const errs = r.issues.filter((i) => i.level === 'Error');
  assert.deepEqual(errs, [], JSON.stringify(errs));
  assert.ok(r.spec);
  return r.spec;
}

function fails(spec: unknown, path: (string | number)[], fragment: string, name?: string): void {
  const r = validate(spec, name);
  assert.equal(r.spec, undefined, 'expected the spec to be rejected');
  const hit = r.issues.find((i) => i.level === 'Error' && JSON.stringify(i.path) === JSON.stringify(path) && i.message.includes(fragment));
  assert.ok(hit, `no error at ${JSON.stringify(path)} containing "${fragment}"; got ${JSON.stringify(r.issues)}`);
}

const gw = (...servers: object[]) => ({ selector: { istio: 'ingressgateway' }, servers });
const http = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['httpbin.example.com'] };
const S = ['spec', 'servers', 0];

describe('Gateway: Istio samples', () => {
  it('accepts the httpbin and Bookinfo gateways', () => {
    ok(gw(http));
    ok(gw({ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }));
  });
  it('accepts the secure ingress and egress examples', () => {
    ok(gw({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'httpbin-credential' }, hosts: ['httpbin.example.com'] }));
    ok(gw({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'MUTUAL', credentialName: 'httpbin-credential' }, hosts: ['httpbin.example.com'] }));
    ok(gw({ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['edition.cnn.com'], tls: { mode: 'PASSTHROUGH' } }));
    ok(gw({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['edition.cnn.com'], tls: { mode: 'ISTIO_MUTUAL' } }));
    ok(gw({ port: { number: 15443, name: 'tls', protocol: 'TLS' }, hosts: ['*.local'], tls: { mode: 'AUTO_PASSTHROUGH' } }));
  });
  it('accepts every less common field, protocols case-insensitively', () => {
    ok(gw(
      { ...http, name: 'plain', bind: '0.0.0.0', tls: { httpsRedirect: true }, defaultEndpoint: '127.0.0.1:8080' },
      {
        port: { number: 443, name: 'https', protocol: 'https' }, hosts: ['ns1/*.example.com', './a.example.com', '10.0.0.1'],
        tls: {
          mode: 'OPTIONAL_MUTUAL', serverCertificate: '/s.pem', privateKey: '/k.pem', caCertificates: '/ca.pem', caCrl: '/crl.pem',
          subjectAltNames: ['a'], verifyCertificateSpki: ['x'], verifyCertificateHash: ['y'], minProtocolVersion: 'TLSV1_2', maxProtocolVersion: 'TLSV1_3',
          cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256'],
        },
      },
      { port: { number: 9443, name: 'multi', protocol: 'HTTPS' }, hosts: ['m.example.com'], tls: { mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/rsa.pem', privateKey: '/rsa.key' }, { serverCertificate: '/ec.pem', privateKey: '/ec.key' }] } },
      { port: { number: 9444, name: 'creds', protocol: 'HTTPS' }, hosts: ['c.example.com'], tls: { mode: 'SIMPLE', credentialNames: ['rsa', 'ec'] } },
      { port: { number: 27017, name: 'mongo', protocol: 'MONGO' }, hosts: ['*'] },
      { port: { number: 9000, name: 'grpc-web', protocol: 'GRPC-WEB' }, hosts: ['*'] },
      { port: { number: 0, name: 'uds', protocol: 'HTTP' }, bind: 'unix:///var/run/gw.sock', hosts: ['*'] },
    ));
  });
});

describe('Gateway: webhook rules', () => {
  it('rejects unknown fields', () => fails(gw({ ...http, foo: 1 }), [...S, 'foo'], 'unknown field'));
  it('checks the gateway name and server presence', () => {
    fails(gw(http), ['spec'], 'invalid gateway name', 'a.b');
    fails(gw(), ['spec', 'servers'], 'at least one server');
  });
  it('checks hosts', () => {
    fails(gw({ ...http, hosts: [] }), [...S, 'hosts'], 'at least one host');
    fails(gw({ ...http, hosts: ['foo'] }), [...S, 'hosts', 0], 'short names');
    fails(gw({ ...http, hosts: ['*foo.com'] }), [...S, 'hosts', 0], 'partial wildcard');
    fails(gw({ ...http, hosts: ['Bad_NS/a.example.com'] }), [...S, 'hosts', 0], 'invalid namespace value');
  });
  it('checks ports and protocols', () => {
    fails(gw({ ...http, port: { number: 80, name: 'x', protocol: 'FTP' } }), [...S, 'port', 'protocol'], 'invalid protocol "FTP"');
    fails(gw({ ...http, port: { number: 70000, name: 'x', protocol: 'HTTP' } }), [...S, 'port', 'number'], '1..65535');
    fails(gw({ ...http, port: { number: 80, protocol: 'HTTP' } }), [...S, 'port', 'name'], 'port name must be set');
    fails(gw({ ...http, port: { number: 80, name: 'x', protocol: 'HTTP', targetPort: 8080 } }), [...S, 'port', 'targetPort'], 'no impact on Gateways');
    fails(gw(http, { ...http, hosts: ['b.example.com'] }), ['spec', 'servers', 1, 'port', 'name'], 'must be unique');
    fails(gw({ hosts: ['*'] }), [...S, 'port'], 'port is required');
    fails(gw({ ...http, bind: 'unix:///s.sock' }), [...S, 'port', 'number'], 'must be 0 for unix domain socket');
    fails(gw({ ...http, bind: 'localhost' }), [...S, 'bind'], 'not a valid IP');
  });
  it('checks TLS requirements', () => {
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' } }), [...S, 'tls'], 'must have TLS settings');
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE' } }), [...S, 'tls', 'serverCertificate'], 'SIMPLE TLS requires a server certificate');
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'MUTUAL', serverCertificate: '/s', privateKey: '/k' } }), [...S, 'tls', 'caCertificates'], 'MUTUAL TLS requires a client CA bundle');
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'ISTIO_MUTUAL', credentialName: 'c' } }), [...S, 'tls', 'credentialName'], 'ISTIO_MUTUAL TLS cannot have associated credentialName');
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', credentialName: 'c', serverCertificate: '/s', privateKey: '/k' } }), [...S, 'tls'], 'only one of credential_name');
    fails(gw({ ...http, port: { number: 443, name: 'https', protocol: 'HTTPS' }, tls: { mode: 'SIMPLE', serverCertificate: '/s', privateKey: '/k', caCrl: '/crl' } }), [...S, 'tls', 'caCrl'], 'CRL is not supported with SIMPLE TLS');
    fails(gw({ ...http, tls: { mode: 'SIMPLE', credentialName: 'c' } }), [...S, 'tls'], 'plain text HTTP ports');
    fails(gw({ ...http, port: { number: 31400, name: 'tcp', protocol: 'TCP' }, tls: { mode: 'PASSTHROUGH' } }), [...S, 'tls'], 'non HTTPS/TLS ports');
  });
  it('warns about httpsRedirect off HTTP, passthrough certificates and ciphers', () => {
    const r = validate(gw({ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*.example.com'], tls: { mode: 'PASSTHROUGH', httpsRedirect: true, serverCertificate: '/s', cipherSuites: ['NOPE'] } }));
    assert.ok(r.spec);
    const warnings = r.issues.filter((i) => i.level === 'Warning').map((i) => i.message);
    assert.ok(warnings.some((m) => m.includes('httpsRedirect should only be used with http servers')), warnings.join('\n'));
    assert.ok(warnings.some((m) => m.includes('PASSTHROUGH mode does not use certificates')));
    assert.ok(warnings.some((m) => m.includes('ignoring invalid cipher suites: [NOPE]')));
  });
});
