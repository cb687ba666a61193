/**
 * Attacks on the control plane's xDS door (issue 10, item 1), with real grpc-js clients over real
 * TLS on loopback, against a control plane with the mesh CA (authenticated xDS on the CA's port, as
 * istiod's 15012) and, where a test says so, the plaintext debug port:
 * - no client certificate, or one from another CA naming a real identity: UNAUTHENTICATED;
 * - `weft control` serves no plaintext xDS unless asked (`--insecure-xds-port`);
 * - authenticated as workload A, claiming B's node id (B's service account, or B's pod), or another
 *   namespace: PERMISSION_DENIED, and the control plane logs why;
 * - a proxyless grpc-js client with its own workload certificate and node is served;
 * - gateway private keys reach only that gateway: not a sidecar, not another service account in
 *   istio-system claiming to be a gateway with its labels, not the plaintext port;
 * - a stream claiming a real proxy's id with fake labels does not change what that proxy gets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition, type DiscoveryRequestMessage, type DiscoveryResponseMessage } from '../../src/xds/discovery-service.js';
import { toNodeMessage, type JsonValue, type NodeIdentity } from '../../src/xds/node-info.js';
import { decodeResource } from '../../src/xds/protos.js';
import { TypeUrl } from '../../src/envoy/type-url.js';
import { CA_SERVER_NAME } from '../../src/security/ca/csr-server.js';
import { caFromRoot, createSelfSignedRoot } from '../../src/security/ca/ca-store.js';
import { generateP256, privateKeyToPem } from '../../src/security/ca/keys.js';
import { WorkloadIdentity } from '../../src/security/identity/workload-identity.js';
import { formatSpiffeId } from '../../src/security/identity/spiffe.js';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { startProxy } from '../../src/proxy/proxy.js';
import { startMesh, stopAll, waitUntil, type Mesh } from './mtls/mesh-fixture.js';
import { startWeft, type WeftProcess } from '../helpers/weft-process.js';

const WEB_IP = '127.0.91.2';
const GW_IP = '127.0.91.1';
const SECRET_NAME = 'kubernetes://ingress-cred';

let mesh: Mesh;
let credCert = '';
let credKey = '';
const logs: string[] = [];
const proxies: ProxyHandle[] = [];

const CONFIG = () => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8000}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: web, ports: [{containerPort: 8000}]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [web.example.com]
    tls: {mode: SIMPLE, credentialName: ingress-cred}
---
apiVersion: v1
kind: Secret
metadata: {name: ingress-cred, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(credCert).toString('base64')}
  tls.key: ${Buffer.from(credKey).toString('base64')}
`;

/** What one ADS stream got before it ended or `ms` passed. */
interface Probe {
  code?: grpc.status;
  details: string;
  responses: { typeUrl: string; names: string[]; resources: Record<string, unknown>[] }[];
}

const sidecarId = (ip: string, pod: string, ns: string) => `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`;
const routerId = (ip: string, pod: string, ns: string) => `router~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`;
const nodeOf = (id: string, ns: string, sa: string, labels: Record<string, string>): NodeIdentity => ({
  id, metadata: { NAMESPACE: ns, SERVICE_ACCOUNT: sa, LABELS: labels as Record<string, JsonValue> },
});

/** mTLS channel credentials with `cert` (or TLS without a client certificate). */
function tlsCreds(cert?: { keyPem: string; chainPem: string }): grpc.ChannelCredentials {
  const root = Buffer.from(mesh.rootCertPem);
  return cert ? grpc.credentials.createSsl(root, Buffer.from(cert.keyPem), Buffer.from(cert.chainPem)) : grpc.credentials.createSsl(root);
}

/**
 * Opens one ADS stream as a plain grpc-js client would: the first request carries `node`; CDS and
 * LDS wildcard, then SDS for `secretNames` (ACKing nothing). Collects responses for `ms` or until
 * the server ends the stream.
 */
async function probe(target: string, creds: grpc.ChannelCredentials, node: NodeIdentity, secretNames: string[] = [], ms = 1500): Promise<Probe> {
  const client = new grpc.Client(target, creds, { 'grpc.ssl_target_name_override': CA_SERVER_NAME, 'grpc.default_authority': CA_SERVER_NAME });
  const m = adsServiceDefinition.StreamAggregatedResources;
  const call = client.makeBidiStreamRequest<DiscoveryRequestMessage, DiscoveryResponseMessage>(m.path, m.requestSerialize, m.responseDeserialize);
  const out: Probe = { details: '', responses: [] };
  const ended = new Promise<void>((resolve) => {
    call.on('status', (st: grpc.StatusObject) => {
      out.code = st.code;
      out.details = st.details;
      resolve();
    });
    call.on('error', () => undefined);
  });
  call.on('data', (res: DiscoveryResponseMessage) => {
    const resources = res.resources.map((r) => decodeResource(r.typeUrl, r.value));
    out.responses.push({ typeUrl: res.typeUrl, names: resources.map((r) => String(r['name'] ?? r['clusterName'] ?? '')), resources });
  });
  call.write({ node: toNodeMessage(node), typeUrl: TypeUrl.Cluster, resourceNames: [] });
  call.write({ typeUrl: TypeUrl.Listener, resourceNames: [] });
  if (secretNames.length) call.write({ typeUrl: TypeUrl.Secret, resourceNames: secretNames });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  call.cancel();
  client.close();
  return out;
}

/** A real workload certificate for `ns`/`sa`, obtained from the mesh CA with a bootstrap token. */
async function workloadCert(ns: string, sa: string): Promise<{ keyPem: string; chainPem: string }> {
  const id = new WorkloadIdentity({
    spiffeId: formatSpiffeId({ trustDomain: 'cluster.local', namespace: ns, serviceAccount: sa }),
    ca: { address: mesh.caAddress, rootCertPem: mesh.rootCertPem }, token: await mesh.cp.ca!.mintToken(ns, sa),
  });
  const c = await id.start();
  id.stop();
  return c;
}

const secretsIn = (p: Probe) => p.responses.filter((r) => r.typeUrl === TypeUrl.Secret).flatMap((r) => r.resources);
const gotListeners = (p: Probe) => p.responses.some((r) => r.typeUrl === TypeUrl.Listener);

before(async () => {
  // The gateway's credential: a real key pair from a throwaway CA.
  const other = await caFromRoot(await createSelfSignedRoot({ trustDomain: 'example.com' }), { trustDomain: 'example.com' });
  const keys = await generateP256();
  credKey = await privateKeyToPem(keys.privateKey);
  credCert = (await other.issue({ publicKey: keys.publicKey, dnsNames: ['web.example.com'], notAfter: new Date(Date.now() + 3600_000) })).chainPems[0]!;
  mesh = await startMesh({ 'config.yaml': CONFIG() }, { insecureXds: true, log: (l) => logs.push(l) });
});

after(async () => {
  await stopAll(mesh, proxies, []);
});

test('an xDS stream without a client certificate is refused UNAUTHENTICATED', async () => {
  const p = await probe(mesh.xds, tlsCreds(), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'web', { app: 'web' }));
  assert.equal(p.code, grpc.status.UNAUTHENTICATED, p.details);
  assert.equal(p.responses.length, 0);
  assert.ok(logs.some((l) => /refused \(UNAUTHENTICATED\)/.test(l)), logs.join('\n'));
});

test('a certificate from another CA naming the gateway identity is refused UNAUTHENTICATED', async () => {
  const rogue = await caFromRoot(await createSelfSignedRoot({ trustDomain: 'cluster.local' }), { trustDomain: 'cluster.local' });
  const keys = await generateP256();
  const leaf = await rogue.issue({ publicKey: keys.publicKey, uris: ['spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'], notAfter: new Date(Date.now() + 3600_000) });
  const p = await probe(mesh.xds, tlsCreds({ keyPem: await privateKeyToPem(keys.privateKey), chainPem: leaf.chainPems.join('') }),
    nodeOf(routerId(GW_IP, 'istio-ingressgateway-0', 'istio-system'), 'istio-system', 'istio-ingressgateway-service-account', { istio: 'ingressgateway' }), [SECRET_NAME]);
  assert.equal(p.code, grpc.status.UNAUTHENTICATED, p.details);
  assert.deepEqual(secretsIn(p), []);
});

test('authenticated as sleep, claiming web\'s node (its service account, or its pod) is PERMISSION_DENIED', async () => {
  const sleep = await workloadCert('default', 'sleep');
  const asWeb = await probe(mesh.xds, tlsCreds(sleep), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'web', { app: 'web' }));
  assert.equal(asWeb.code, grpc.status.PERMISSION_DENIED, asWeb.details);
  assert.match(asWeb.details, /SERVICE_ACCOUNT metadata is "web".*authenticated as spiffe:\/\/cluster\.local\/ns\/default\/sa\/sleep/);
  // Consistent metadata, but the registry knows pod web-0 runs as web.
  const podOnly = await probe(mesh.xds, tlsCreds(sleep), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'sleep', { app: 'web' }));
  assert.equal(podOnly.code, grpc.status.PERMISSION_DENIED, podOnly.details);
  assert.match(podOnly.details, /pod web-0\.default runs as service account web/);
  assert.equal(asWeb.responses.length + podOnly.responses.length, 0);
  assert.ok(logs.some((l) => /refused \(PERMISSION_DENIED\).*pod web-0\.default/.test(l)), logs.join('\n'));
});

test('a certificate for namespace default claiming namespace prod is PERMISSION_DENIED', async () => {
  const sleep = await workloadCert('default', 'sleep');
  const p = await probe(mesh.xds, tlsCreds(sleep), nodeOf(sidecarId('127.0.91.9', 'sleep-0', 'prod'), 'prod', 'sleep', { app: 'sleep' }));
  assert.equal(p.code, grpc.status.PERMISSION_DENIED, p.details);
  assert.match(p.details, /node id names namespace prod/);
  // Namespace only in the metadata: refused as well.
  const md = await probe(mesh.xds, tlsCreds(sleep), { id: 'proxyless-sleep', metadata: { NAMESPACE: 'prod' } });
  assert.equal(md.code, grpc.status.PERMISSION_DENIED, md.details);
});

test('a proxyless grpc-js client with its own workload certificate and node is served', async () => {
  const sleep = await workloadCert('default', 'sleep');
  const p = await probe(mesh.xds, tlsCreds(sleep), nodeOf(sidecarId('127.0.91.9', 'sleep-0', 'default'), 'default', 'sleep', { app: 'sleep' }), ['ROOTCA']);
  assert.equal(p.code, undefined, p.details);
  assert.ok(p.responses.some((r) => r.typeUrl === TypeUrl.Cluster && r.names.includes('outbound|8000||web.default.svc.cluster.local')), JSON.stringify(p.responses.map((r) => r.typeUrl)));
  assert.deepEqual(secretsIn(p).map((s) => s['name']), ['ROOTCA']);
});

test('gateway private keys reach only the gateway: not a sidecar, not another service account in istio-system, not the plaintext port', async () => {
  const gwNode = nodeOf(routerId(GW_IP, 'istio-ingressgateway-0', 'istio-system'), 'istio-system', 'istio-ingressgateway-service-account', { istio: 'ingressgateway' });
  const gateway = await probe(mesh.xds, tlsCreds(await workloadCert('istio-system', 'istio-ingressgateway-service-account')), gwNode, [SECRET_NAME]);
  assert.equal(gateway.code, undefined, gateway.details);
  const keys = secretsIn(gateway).filter((s) => s['name'] === SECRET_NAME);
  assert.equal(keys.length, 1, 'the real gateway gets its credential');
  assert.match(JSON.stringify(keys[0]), /PRIVATE KEY/);

  // Another service account in istio-system, claiming a gateway pod with the gateway's labels.
  const other = await probe(mesh.xds, tlsCreds(await workloadCert('istio-system', 'other')),
    nodeOf(routerId('127.0.91.7', 'evil-0', 'istio-system'), 'istio-system', 'other', { istio: 'ingressgateway' }), [SECRET_NAME]);
  assert.equal(other.code, undefined, other.details);
  assert.ok(gotListeners(other), 'the stream itself is served (its own config)');
  assert.doesNotMatch(JSON.stringify(secretsIn(other)), /PRIVATE KEY/);
  assert.deepEqual(secretsIn(other).filter((s) => s['name'] === SECRET_NAME), []);

  // A sidecar in default claiming to be a router of its own namespace.
  const sidecar = await probe(mesh.xds, tlsCreds(await workloadCert('default', 'sleep')),
    nodeOf(routerId('127.0.91.8', 'sleep-0', 'default'), 'default', 'sleep', { istio: 'ingressgateway' }), [SECRET_NAME]);
  assert.doesNotMatch(JSON.stringify(secretsIn(sidecar)), /PRIVATE KEY/);

  // The plaintext debug port, claiming the real gateway's node exactly: config, but never a Secret.
  const plain = await probe(mesh.insecureXds!, grpc.credentials.createInsecure(), gwNode, [SECRET_NAME, 'default', 'ROOTCA']);
  assert.equal(plain.code, undefined, plain.details);
  assert.ok(gotListeners(plain), 'the plaintext stream is served config');
  assert.deepEqual(plain.responses.filter((r) => r.typeUrl === TypeUrl.Secret), [], 'no Secret response on the plaintext port');
});

test('a stream claiming a real proxy\'s id with fake labels does not change what that proxy is sent', async () => {
  const start = async () => {
    const p = await startProxy({
      role: 'sidecar', ip: WEB_IP, podName: 'web-0', namespace: 'default', labels: { app: 'web' }, serviceAccount: 'web', appAddress: '127.0.91.3',
      xds: mesh.xds, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
      identity: { caAddress: mesh.caAddress, rootCertPem: mesh.rootCertPem, token: await mesh.cp.ca!.mintToken('default', 'web') },
    });
    proxies.push(p);
    await p.ready();
    return p;
  };
  // web's inbound side (its Service's port 8000 selected by its labels) as sent over LDS.
  const inbound = (p: ProxyHandle) => JSON.stringify(p.ads.resources(TypeUrl.Listener).get('virtualInbound') ?? null);
  let web = await start();
  await waitUntil(() => inbound(web).includes('8000'), 'web inbound listener');
  const before = inbound(web);
  await web.stop(100);

  // While web is away, an attacker (plaintext port) claims web's exact id with labels that select nothing.
  const attacker = probe(mesh.insecureXds!, grpc.credentials.createInsecure(), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'web', { app: 'nothing' }), [], 6000);
  await new Promise((r) => setTimeout(r, 500));
  web = await start();
  assert.equal(inbound(web), before, 'web gets its own inbound listener on reconnect');
  // A config change pushes to both streams (the attacker's first: it connected first).
  await mesh.apply('unrelated.yaml', `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: unrelated, namespace: default}
spec:
  hosts: [unrelated.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`);
  const proxy = web;
  await waitUntil(() => [...proxy.ads.resources(TypeUrl.Cluster).keys()].some((n) => n.includes('unrelated.example.com')), 'the push');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(inbound(web), before, 'web keeps its own inbound listener after the push');
  const got = await attacker;
  assert.ok(gotListeners(got), 'the attacker stream was served (its own translation)');
});

test('weft control serves no plaintext xDS unless --insecure-xds-port is given', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-xds-default-'));
  await writeFile(path.join(dir, 'config.yaml'), CONFIG());
  let control: WeftProcess | undefined;
  try {
    control = startWeft(['control', '--config', dir, '--state', path.join(dir, 'state'), '--xds-port', '0', '--http-port', '0', '--debounce', '20']);
    const m = await control.waitFor(/xDS on ([\d.]+):(\d+), API on/);
    const xds = `${m[1]}:${m[2]}`;
    // The advertised xDS port speaks TLS only: a plaintext ADS client gets nothing.
    const plain = await probe(xds, grpc.credentials.createInsecure(), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'web', { app: 'web' }));
    assert.notEqual(plain.code, undefined);
    assert.equal(plain.responses.length, 0);
    // …and TLS without a workload certificate is refused.
    const anon = await probe(xds, grpc.credentials.createSsl(Buffer.from(mesh.rootCertPem)), nodeOf(sidecarId(WEB_IP, 'web-0', 'default'), 'default', 'web', { app: 'web' }));
    assert.notEqual(anon.code, undefined);
    assert.equal(anon.responses.length, 0);
    // Nothing listens on Istio's plaintext port either.
    const open15010 = await new Promise<boolean>((resolve) => {
      const s = net.connect(15010, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    assert.equal(open15010, false, 'port 15010 is closed by default');
    assert.doesNotMatch(control.output(), /insecure xDS on/);
  } finally {
    await control?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
