/**
 * SDS for gateway credentials (src/control/gateway-secrets.ts) from translated listeners: istiod's
 * names (`kubernetes://<name>`, `kubernetes://<name>-cacert`), lookup in the gateway workload's
 * namespace only (Istio's rule; a Secret next to the Gateway in another namespace is not served), `ca.crt` from a `-cacert` Secret or the credential itself, only to
 * gateway proxies, and a malformed key reported (naming the Secret) while other hosts are served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTexts } from '../../../src/config/load.js';
import { gatewaySecretsFor, type CredentialIssue } from '../../../src/control/gateway-secrets.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { ProxyNode } from '../../../src/model/proxy-node.js';
import { translate } from '../../../src/translate/translate.js';
import { issue, makeCa, secretYaml } from './fixture.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-gwsecrets-'));
const ca = makeCa(dir);
const a = issue(dir, ca, 'a', 'a.example.com', 'a');
const read = (p: string) => readFileSync(p, 'utf8');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: apps}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-a, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: MUTUAL, credentialName: a-cred}
  - port: {number: 443, name: https-b, protocol: HTTPS}
    hosts: [b.example.com]
    tls: {mode: SIMPLE, credentialName: b-cred}
  - port: {number: 443, name: https-c, protocol: HTTPS}
    hosts: [c.example.com]
    tls: {mode: SIMPLE, credentialName: c-cred}
`;

const gatewayNode: ProxyNode = {
  id: 'router~127.0.0.1~gw-0.istio-system~istio-system.svc.cluster.local', role: 'router', ip: '127.0.0.1', podName: 'gw-0',
  namespace: 'istio-system', labels: { istio: 'ingressgateway' }, serviceAccount: 'gw',
};

function secretsFor(extra: string[], node: ProxyNode = gatewayNode): { secrets: Map<string, object>; issues: CredentialIssue[] } {
  const loaded = loadTexts([{ file: 'g.yaml', text: [GATEWAY, ...extra].join('---\n') }]);
  assert.deepEqual(loaded.diagnostics.filter((d) => d.level === 'Error'), []);
  const snapshot = buildSnapshot({ resources: loaded.resources });
  const out = translate(snapshot, node, { gatewayPortMap: { 443: 8443 } });
  const issues: CredentialIssue[] = [];
  return { secrets: gatewaySecretsFor(snapshot, node, out.listeners, (i) => issues.push(i)), issues };
}

test('listeners reference istiod names; key pair inline, CA from the -cacert Secret; the workload namespace only', () => {
  const { secrets, issues } = secretsFor([
    secretYaml('a-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': read(a.key) }),
    secretYaml('a-cred-cacert', 'istio-system', 'Opaque', { 'ca.crt': read(ca.cert) }),
    // In the Gateway's namespace only, not the gateway workload's: not served (Istio's rule).
    secretYaml('b-cred', 'apps', 'Opaque', { cert: read(a.cert), key: read(a.key) }),
    // Shadowed by nothing: c-cred is missing.
  ]);
  assert.deepEqual([...secrets.keys()].sort(), ['kubernetes://a-cred', 'kubernetes://a-cred-cacert']);
  const pair = secrets.get('kubernetes://a-cred') as { tlsCertificate: { certificateChain: { inlineString: string }; privateKey: { inlineString: string } } };
  assert.equal(pair.tlsCertificate.certificateChain.inlineString, read(a.cert));
  assert.equal(pair.tlsCertificate.privateKey.inlineString, read(a.key));
  assert.equal((secrets.get('kubernetes://a-cred-cacert') as { validationContext: { trustedCa: { inlineString: string } } }).validationContext.trustedCa.inlineString, read(ca.cert));
  assert.deepEqual(issues.map((i) => [i.code, i.resource]), [['GATEWAY_CREDENTIAL_NOT_FOUND', 'kubernetes://b-cred'], ['GATEWAY_CREDENTIAL_NOT_FOUND', 'kubernetes://c-cred']]);
});

test('the CA falls back to ca.crt of the credential Secret itself', () => {
  const { secrets } = secretsFor([secretYaml('a-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': read(a.key), 'ca.crt': read(ca.cert) })]);
  assert.ok(secrets.has('kubernetes://a-cred-cacert'));
});

test('a malformed key or certificate is not served and names the Secret; the other credentials are', () => {
  const { secrets, issues } = secretsFor([
    secretYaml('a-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': read(a.key), 'ca.crt': read(ca.cert) }),
    secretYaml('b-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }),
    secretYaml('c-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'tls.key': read(a.key) }),
  ]);
  assert.deepEqual([...secrets.keys()].sort(), ['kubernetes://a-cred', 'kubernetes://a-cred-cacert']);
  assert.deepEqual(issues.map((i) => [i.code, i.secret]), [
    ['GATEWAY_CREDENTIAL_INVALID', 'Secret istio-system/b-cred'],
    ['GATEWAY_CREDENTIAL_INVALID', 'Secret istio-system/c-cred'],
  ]);
  assert.match(issues[0]!.message, /private key is not a valid PEM key/);
  assert.match(issues[1]!.message, /does not parse/);
});

test('a key that belongs to another certificate is refused', () => {
  const other = issue(dir, ca, 'other', 'other.example.com', 'o');
  const { secrets, issues } = secretsFor([secretYaml('b-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': read(other.key) })]);
  assert.equal(secrets.has('kubernetes://b-cred'), false);
  assert.match(issues.find((i) => i.resource === 'kubernetes://b-cred')!.message, /does not match the certificate/);
});

test('sidecars get no gateway credentials', () => {
  const sidecar: ProxyNode = { ...gatewayNode, id: 'sidecar~127.0.0.2~x.istio-system~istio-system.svc.cluster.local', role: 'sidecar' };
  const { secrets } = secretsFor([secretYaml('a-cred', 'istio-system', 'kubernetes.io/tls', { 'tls.crt': read(a.cert), 'tls.key': read(a.key) })], sidecar);
  assert.equal(secrets.size, 0);
});
