import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KindInfo } from '../kind-info.js';
import { workloadEntryKind, workloadGroupKind } from './workload-entry.js';

function ok(kind: KindInfo, spec: unknown): void {
  const r = kind.validate(spec, { name: 'x', namespace: 'default' });
  const errs = r.issues.filter((i) => i.level === 'Error');
  assert.deepEqual(errs, [], JSON.stringify(errs));
  assert.ok(r.spec);
}

function fails(kind: KindInfo, spec: unknown, path: (string | number)[], fragment: string): void {
  const r = kind.validate(spec, { name: 'x', namespace: 'default' });
  assert.equal(r.spec, undefined, 'expected the spec to be rejected');
  const hit = r.issues.find((i) => i.level === 'Error' && JSON.stringify(i.path) === JSON.stringify(path) && i.message.includes(fragment));
  assert.ok(hit, `no error at ${JSON.stringify(path)} containing "${fragment}"; got ${JSON.stringify(r.issues)}`);
}

describe('WorkloadEntry', () => {
  it('accepts the VM example and every field', () => {
    ok(workloadEntryKind, { serviceAccount: 'details-legacy', address: '2.2.2.2', labels: { app: 'details-legacy', 'instance-id': 'vm1' } });
    ok(workloadEntryKind, { address: 'vm1.example.com', ports: { http: 8080 }, network: 'vpc1', locality: 'us-east1/us-east1-b', weight: 3 });
    ok(workloadEntryKind, { address: 'unix:///var/run/app.sock' });
  });
  it('requires an address or a network, and warns on network only', () => {
    fails(workloadEntryKind, { labels: { app: 'a' } }, ['spec', 'address'], 'address is required');
    const r = workloadEntryKind.validate({ network: 'remote' }, { name: 'x', namespace: 'default' });
    assert.ok(r.spec);
    assert.ok(r.issues.some((i) => i.level === 'Warning' && i.message.includes('address is unset with network "remote"')));
  });
  it('checks addresses, ports and labels', () => {
    fails(workloadEntryKind, { address: 'bad_host!' }, ['spec', 'address'], 'not a valid FQDN or an IP address');
    fails(workloadEntryKind, { address: 'unix://relative.sock' }, ['spec', 'address'], 'absolute path');
    fails(workloadEntryKind, { address: 'unix:///s.sock', ports: { http: 80 } }, ['spec', 'ports'], 'must not include ports');
    fails(workloadEntryKind, { address: '1.1.1.1', ports: { http: 70000 } }, ['spec', 'ports', 'http'], '1..65535');
    fails(workloadEntryKind, { address: '1.1.1.1', ports: { 'Bad_Name': 80 } }, ['spec', 'ports', 'Bad_Name'], 'invalid port name');
    fails(workloadEntryKind, { address: '1.1.1.1', labels: { app: 'has space' } }, ['spec', 'labels', 'app'], 'invalid tag value');
    fails(workloadEntryKind, { address: '1.1.1.1', foo: 1 }, ['spec', 'foo'], 'unknown field');
  });
});

describe('WorkloadGroup', () => {
  it('accepts the VM onboarding example', () => {
    ok(workloadGroupKind, {
      metadata: { labels: { app: 'reviews' }, annotations: { a: 'b' } },
      template: { ports: { grpc: 3550, http: 8080 }, serviceAccount: 'default' },
      probe: { initialDelaySeconds: 5, timeoutSeconds: 3, periodSeconds: 4, successThreshold: 3, failureThreshold: 3, httpGet: { path: '/foo/bar', host: '127.0.0.1', port: 3100, scheme: 'HTTPS', httpHeaders: [{ name: 'Lit-Header', value: 'Im-The-Best' }] } },
    });
    ok(workloadGroupKind, { template: {}, probe: { exec: { command: ['./check.sh'] } } });
    ok(workloadGroupKind, { template: {}, probe: { grpc: { port: 9000, service: 'health' } } });
  });
  it('requires a template and checks the probe', () => {
    fails(workloadGroupKind, {}, ['spec', 'template'], '');
    fails(workloadGroupKind, { template: {}, probe: { periodSeconds: 4 } }, ['spec', 'probe'], 'one of httpGet, tcpSocket, exec or grpc is required');
    fails(workloadGroupKind, { template: {}, probe: { tcpSocket: { port: 1 }, exec: { command: ['x'] } } }, ['spec', 'probe'], 'only one of');
    fails(workloadGroupKind, { template: {}, probe: { httpGet: { port: 80, scheme: 'FTP' } } }, ['spec', 'probe', 'httpGet', 'scheme'], 'must be one of');
    fails(workloadGroupKind, { template: {}, probe: { httpGet: { port: 80, httpHeaders: [{ name: 'bad header' }] } } }, ['spec', 'probe', 'httpGet', 'httpHeaders', 0, 'name'], 'not a valid header name');
    fails(workloadGroupKind, { template: {}, probe: { exec: { command: [] } } }, ['spec', 'probe', 'exec', 'command'], 'exec.command is required');
    fails(workloadGroupKind, { template: {}, probe: { periodSeconds: -1, tcpSocket: { port: 80 } } }, ['spec', 'probe', 'periodSeconds'], 'non-negative');
    fails(workloadGroupKind, { metadata: { labels: { 'bad key!': 'x' } }, template: {} }, ['spec', 'metadata', 'labels', 'bad key!'], 'invalid tag key');
  });
});
