import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serviceEntryKind } from './service-entry.js';

const validate = (spec: unknown) => serviceEntryKind.validate(spec, { name: 'x', namespace: 'default' });

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

const http = { number: 80, name: 'http-port', protocol: 'HTTP' };
const https = { number: 443, name: 'https', protocol: 'HTTPS' };

describe('ServiceEntry: Istio samples', () => {
  it('accepts the egress examples', () => {
    ok({ hosts: ['httpbin.org'], ports: [http], resolution: 'DNS', location: 'MESH_EXTERNAL' });
    ok({ hosts: ['edition.cnn.com'], ports: [http, https], resolution: 'DNS' });
    ok({ hosts: ['*.wikipedia.org'], ports: [https] });
    ok({ hosts: ['api.dropboxapi.com', 'www.googleapis.com'], ports: [https], resolution: 'DNS', location: 'MESH_EXTERNAL' });
  });
  it('accepts static, unix-socket and DNS endpoints', () => {
    ok({ hosts: ['mymongodb.somedomain'], addresses: ['192.192.192.192/24'], ports: [{ number: 27018, name: 'mongodb', protocol: 'MONGO' }], location: 'MESH_INTERNAL', resolution: 'STATIC', endpoints: [{ address: '2.2.2.2' }, { address: '3.3.3.3', ports: { mongodb: 27019 }, labels: { app: 'db' }, locality: 'us/east', weight: 2, network: 'n1', serviceAccount: 'sa' }] });
    ok({ hosts: ['unix.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'STATIC', endpoints: [{ address: 'unix:///var/run/example/socket' }] });
    ok({ hosts: ['foo.bar.com'], ports: [http], resolution: 'DNS', endpoints: [{ address: 'us.foo.bar.com', ports: { 'http-port': 8080 } }, { address: '1.1.1.1' }], subjectAltNames: ['spiffe://a/b'], exportTo: ['~'] });
    ok({ hosts: ['vm.example.com'], ports: [http], resolution: 'STATIC', workloadSelector: { labels: { app: 'vm' } } });
  });
});

describe('ServiceEntry: webhook rules', () => {
  it('rejects unknown fields', () => fails({ hosts: ['a.com'], ports: [http], foo: 1 }, ['spec', 'foo'], 'unknown field'));
  it('checks hosts', () => {
    fails({ ports: [http] }, ['spec', 'hosts'], 'at least one host');
    fails({ hosts: ['*'], ports: [http] }, ['spec', 'hosts', 0], 'invalid host *');
    fails({ hosts: ['a.*.com'], ports: [http] }, ['spec', 'hosts', 0], 'invalid');
  });
  it('rejects wildcard hosts with DNS resolution and no endpoints', () => {
    fails({ hosts: ['*.example.com'], ports: [https], resolution: 'DNS' }, ['spec', 'hosts', 0], 'hosts must be FQDN');
  });
  it('checks addresses', () => {
    fails({ hosts: ['a.com'], addresses: ['300.1.1.1'], ports: [http] }, ['spec', 'addresses', 0], 'not a valid IP');
    fails({ hosts: ['a.com'], addresses: ['10.0.0.0/8'], ports: [http], resolution: 'DNS' }, ['spec', 'addresses'], 'CIDR addresses are allowed only for NONE/STATIC');
  });
  it('requires unique port numbers and names', () => {
    fails({ hosts: ['a.com'], ports: [http, { ...http, number: 81 }] }, ['spec', 'ports', 1, 'name'], 'already defined');
    fails({ hosts: ['a.com'], ports: [http, { ...http, name: 'other' }] }, ['spec', 'ports', 1, 'number'], 'already defined');
    fails({ hosts: ['a.com'], ports: [{ number: 0, name: 'x' }] }, ['spec', 'ports', 0, 'number'], '1..65535');
    fails({ hosts: ['a.com'], ports: [{ number: 80, name: 'x', protocol: 'FTP' }] }, ['spec', 'ports', 0, 'protocol'], 'unsupported protocol');
  });
  it('applies resolution-specific endpoint rules', () => {
    fails({ hosts: ['a.com'], ports: [http], resolution: 'NONE', endpoints: [{ address: '1.1.1.1' }] }, ['spec', 'endpoints'], 'no endpoints should be provided');
    fails({ hosts: ['a.com'], ports: [http], resolution: 'STATIC', endpoints: [{ address: 'b.com' }] }, ['spec', 'endpoints', 0, 'address'], 'not a valid IP address');
    fails({ hosts: ['a.com'], ports: [http], resolution: 'STATIC', endpoints: [{ address: '1.1.1.1', ports: { nope: 80 } }] }, ['spec', 'endpoints', 0, 'ports', 'nope'], 'not defined by the service entry');
    fails({ hosts: ['a.com'], ports: [http, https], resolution: 'STATIC', endpoints: [{ address: 'unix:///s.sock' }] }, ['spec', 'endpoints', 0, 'address'], 'exactly 1 service port');
    fails({ hosts: ['a.com'], ports: [http], resolution: 'STATIC', endpoints: [{ labels: { a: 'b' } }] }, ['spec', 'endpoints', 0, 'address'], 'address is required');
    fails({ hosts: ['a.com'], ports: [http], resolution: 'DNS_ROUND_ROBIN', endpoints: [{ address: 'b.com' }, { address: 'c.com' }] }, ['spec', 'endpoints'], 'only be 0 or 1 endpoint');
    fails({ hosts: ['a.com'], ports: [http], resolution: 'DNS', endpoints: [{ address: 'not_a_host!' }] }, ['spec', 'endpoints', 0, 'address'], 'not a valid FQDN or an IP address');
    fails({ hosts: ['a.com'], ports: [http], workloadSelector: { labels: { app: 'a' } }, endpoints: [], resolution: 'STATIC' }, ['spec'], 'only one of WorkloadSelector or Endpoints');
  });
  it('rejects several hosts on plain TCP ports', () => {
    fails({ hosts: ['a.com', 'b.com'], ports: [{ number: 3306, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }, ['spec', 'ports', 0, 'protocol'], 'multiple hosts provided with non-HTTP, non-TLS ports');
  });
  it('checks exportTo', () => {
    fails({ hosts: ['a.com'], ports: [http], exportTo: ['~', 'ns1'] }, ['spec', 'exportTo'], 'cannot export service entry to no one');
    fails({ hosts: ['a.com'], ports: [http], exportTo: ['Bad_NS'] }, ['spec', 'exportTo', 0], 'valid DNS 1123 label');
  });
});
