/**
 * End to end (issue 12, fields Istio added in 2025–26): AuthorizationPolicy `source.trustDomains` /
 * `notTrustDomains` and the `source.trustDomain` condition, enforced by a real sidecar on mTLS
 * traffic from another real sidecar (SPIFFE ids from the mesh CA, trust domain `cluster.local`),
 * as istiod's srcTrustDomainGenerator matches the peer's SPIFFE id. Before issue 12 such YAML was
 * refused as "unknown field".
 * Loopback addresses 127.0.212.140–127.0.212.143, app port 19332.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { echoServer, eventually, listen, service, startAuthzMesh, viaSidecar, type AuthzMesh, type Workload } from '../security/authz/fixture.js';

const PORT = 19332;
const HTTPBIN = { ip: '127.0.212.140', app: '127.0.212.141' };
const SLEEP = { ip: '127.0.212.142', app: '127.0.212.143' };

let mesh: AuthzMesh;
let sleep: Workload;

const policy = (source: string) => `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: td, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - ${source}
`;

function status(): Promise<number> {
  return viaSidecar(sleep, `http://httpbin:${PORT}/`).then((r) => r.status);
}

before(async () => {
  const registry = [service('httpbin', PORT, [{ ip: HTTPBIN.ip, sa: 'httpbin' }]), service('sleep', PORT, [{ ip: SLEEP.ip, sa: 'sleep' }])].join('---\n');
  mesh = await startAuthzMesh({ 'registry.yaml': registry });
  await listen(mesh.own(echoServer('httpbin')), HTTPBIN.app, PORT);
  const tls = { 'security.istio.io/tlsMode': 'istio' };
  await mesh.sidecar('httpbin', HTTPBIN.ip, HTTPBIN.app, 'httpbin', { app: 'httpbin', ...tls });
  sleep = await mesh.sidecar('sleep', SLEEP.ip, SLEEP.app, 'sleep', { app: 'sleep', ...tls });
  await eventually(status, (s) => s === 200, 'httpbin reachable over mTLS');
});

after(async () => {
  await mesh?.stop();
});

test('source.trustDomains and notTrustDomains match the peer SPIFFE trust domain; source.trustDomain in when', async () => {
  await mesh.apply('td.yaml', policy('from: [{source: {trustDomains: [other.example]}}]'));
  await eventually(status, (s) => s === 403, 'a foreign trust domain only: denied');
  await mesh.apply('td.yaml', policy('from: [{source: {trustDomains: [cluster.local]}}]'));
  await eventually(status, (s) => s === 200, 'the mesh trust domain: allowed');
  await mesh.apply('td.yaml', policy('from: [{source: {trustDomains: ["*"], notTrustDomains: ["cluster.*"]}}]'));
  await eventually(status, (s) => s === 403, 'notTrustDomains with a wildcard: denied');
  await mesh.apply('td.yaml', policy('from: [{source: {trustDomains: ["*.local"]}}]'));
  await eventually(status, (s) => s === 200, 'a wildcard trust domain: allowed');
  await mesh.apply('td.yaml', policy('when: [{key: source.trustDomain, values: [elsewhere.example]}]'));
  await eventually(status, (s) => s === 403, 'when source.trustDomain elsewhere: denied');
  await mesh.apply('td.yaml', policy('when: [{key: source.trustDomain, values: [cluster.local]}]'));
  await eventually(status, (s) => s === 200, 'when source.trustDomain cluster.local: allowed');
});
