import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTexts } from '../config/load.js';
import { buildRegistry } from './build-registry.js';
import { protocolForPort } from './protocol.js';

const YAML = `
apiVersion: v1
kind: Service
metadata: {name: reviews, labels: {app: reviews}}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec:
      serviceAccountName: bookinfo-reviews
      containers: [{name: reviews, image: x, ports: [{containerPort: 9081, name: web}]}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-reviews}
spec: {address: 10.9.9.9, labels: {app: reviews, version: vm}, ports: {http: 9999}, serviceAccount: vm-sa}
---
apiVersion: v1
kind: Service
metadata: {name: legacy}
spec:
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy}
subsets:
- addresses: [{ip: 10.1.1.1}, {ip: 10.1.1.2}]
  notReadyAddresses: [{ip: 10.1.1.3}]
  ports: [{name: tcp-db, port: 5433}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: [api.example.com, www.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
`;

test('Services select Deployment pods (named target ports) and WorkloadEntries in their namespace', () => {
  const loaded = loadTexts([{ file: 'r.yaml', text: YAML }]);
  assert.deepEqual(loaded.diagnostics.filter((d) => d.level === 'Error'), []);
  let n = 0;
  const reg = buildRegistry(loaded.resources, { podAddress: () => `127.1.0.${++n}` });
  const reviews = reg.servicesByHost('reviews.default.svc.cluster.local')[0]!;
  assert.equal(reviews.ports[0]!.protocol, 'HTTP');
  const eps = reg.endpoints(reviews, 9080);
  const pods = eps.filter((e) => e.workload?.origin.kind === 'Deployment');
  assert.deepEqual(pods.map((e) => `${e.address}:${e.port}`), ['127.1.0.1:9081', '127.1.0.2:9081']);
  assert.equal(pods[0]!.serviceAccount, 'bookinfo-reviews');
  assert.equal(pods[0]!.workload?.name, 'reviews-v1-0');
  // The WorkloadEntry's `ports` map names the service port "http": it overrides the target port.
  const vm = eps.filter((e) => e.workload?.origin.kind === 'WorkloadEntry');
  assert.deepEqual(vm.map((e) => `${e.address}:${e.port}`), ['10.9.9.9:9999']);
  assert.equal(vm[0]!.serviceAccount, 'vm-sa');
  assert.equal(eps.length, 3);
});

test('selector-less Services take Endpoints manifests, not-ready addresses unhealthy', () => {
  const reg = buildRegistry(loadTexts([{ file: 'r.yaml', text: YAML }]).resources);
  const legacy = reg.servicesByHost('legacy.default.svc.cluster.local')[0]!;
  assert.equal(legacy.ports[0]!.protocol, 'TCP');
  const eps = reg.endpoints(legacy, 5432);
  assert.deepEqual(eps.map((e) => [e.address, e.port, e.healthy]), [['10.1.1.1', 5433, true], ['10.1.1.2', 5433, true], ['10.1.1.3', 5433, false]]);
});

test('a ServiceEntry gives one service per host; DNS resolution without endpoints resolves the host', () => {
  const reg = buildRegistry(loadTexts([{ file: 'r.yaml', text: YAML }]).resources);
  const api = reg.servicesByHost('api.example.com')[0]!;
  assert.equal(api.meshExternal, true);
  assert.equal(api.resolution, 'DNS');
  assert.deepEqual(reg.endpoints(api, 443).map((e) => `${e.address}:${e.port}`), ['api.example.com:443']);
  assert.equal(reg.servicesByHost('www.example.com').length, 1);
});

test('pods without an address yield no endpoints (analysis without weft up)', () => {
  const reg = buildRegistry(loadTexts([{ file: 'r.yaml', text: YAML }]).resources);
  const reviews = reg.servicesByHost('reviews.default.svc.cluster.local')[0]!;
  // Only the WorkloadEntry (which has its own address) is an endpoint.
  assert.deepEqual(reg.endpoints(reviews, 9080).map((e) => e.workload?.origin.kind), ['WorkloadEntry']);
  assert.equal(reg.workloads.filter((w) => w.origin.kind === 'Deployment').length, 2);
});

test('protocol selection follows Istio: appProtocol, then name prefix', () => {
  assert.equal(protocolForPort({ name: 'http-web' }), 'HTTP');
  assert.equal(protocolForPort({ name: 'grpc' }), 'GRPC');
  assert.equal(protocolForPort({ name: 'web', appProtocol: 'http2' }), 'HTTP2');
  assert.equal(protocolForPort({ name: 'tcp' }), 'TCP');
  assert.equal(protocolForPort({ name: 'web' }), 'UNKNOWN');
  assert.equal(protocolForPort({ name: 'dns', protocol: 'UDP' }), 'UDP');
});
