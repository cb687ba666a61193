import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { endpointSliceKind, endpointsKind, serviceKind } from './kubernetes-service.js';
import { formatPath } from '../diagnostic.js';
import type { KindInfo, SchemaIssue, ValidationResult } from '../kind-info.js';

/** Validates one whole document the way the loader does: spec, or the kind's top-level content fields. */
function validateDoc<S>(kind: KindInfo<S>, docYaml: string): ValidationResult<S> {
  const doc = parse(docYaml) as Record<string, unknown>;
  let content: unknown = doc.spec ?? {};
  if (kind.content !== 'spec') {
    const c: Record<string, unknown> = {};
    for (const k of kind.content) if (k in doc) c[k] = doc[k];
    content = c;
  }
  return kind.validate(content, { name: 'x', namespace: 'default' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

const svc = (spec: string) => validateDoc(serviceKind, `apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n${spec}`);

describe('Service', () => {
  it("accepts Bookinfo's details Service as Istio ships it", () => {
    const r = validateDoc(serviceKind, `apiVersion: v1
kind: Service
metadata:
  name: details
  labels:
    app: details
    service: details
spec:
  ports:
  - port: 9080
    name: http
  selector:
    app: details
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.ports?.[0]?.port, 9080);
    assert.deepEqual(r.spec?.selector, { app: 'details' });
  });
  it('accepts a full NodePort service, a headless one and an ExternalName one', () => {
    assert.deepEqual(svc(`  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http-web, nodePort: 30080, protocol: TCP, appProtocol: http}
  - {name: grpc, port: 9090, targetPort: 9091, appProtocol: kubernetes.io/h2c}
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  externalTrafficPolicy: Local
  internalTrafficPolicy: Cluster
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
`).issues, []);
    assert.deepEqual(svc('  clusterIP: None\n  selector: {app: db}\n').issues, []);
    assert.deepEqual(svc('  type: ExternalName\n  externalName: my.database.example.com\n').issues, []);
  });
  it('rejects an unknown field and a bad type', () => {
    assertIssue(svc('  ports: [{port: 80}]\n  selectors: {app: a}\n'), 'spec.selectors', 'unknown field');
    assertIssue(svc('  type: Internal\n  ports: [{port: 80}]\n'), 'spec.type', 'expected one of');
  });
  it('requires ports unless headless or ExternalName', () => {
    assertIssue(svc('  selector: {app: a}\n'), 'spec.ports', 'at least one port');
  });
  it('rejects port numbers out of range', () => {
    assertIssue(svc('  ports: [{port: 0}]\n'), 'spec.ports[0].port', 'range 1-65535');
    assertIssue(svc('  ports: [{port: 80, targetPort: 70000}]\n'), 'spec.ports[0].targetPort', 'range 1-65535');
    assertIssue(svc('  ports: [{port: 80.5}]\n'), 'spec.ports[0].port', 'integer');
  });
  it('requires names on multiple ports, as DNS labels, unique', () => {
    assertIssue(svc('  ports: [{name: http, port: 80}, {port: 81}]\n'), 'spec.ports[1].name', 'required when there is more than one port');
    assertIssue(svc('  ports: [{name: HTTP, port: 80}]\n'), 'spec.ports[0].name', 'RFC 1123 label');
    assertIssue(svc('  ports: [{name: http, port: 80}, {name: http, port: 81}]\n'), 'spec.ports[1].name', 'duplicate port name');
  });
  it('rejects duplicate port/protocol pairs', () => {
    assertIssue(svc('  ports: [{name: a, port: 80}, {name: b, port: 80}]\n'), 'spec.ports[1]', 'duplicate port 80/TCP');
  });
  it('rejects a bad named targetPort and a bad targetPort type', () => {
    assertIssue(svc('  ports: [{port: 80, targetPort: "Http_Web"}]\n'), 'spec.ports[0].targetPort', 'invalid targetPort name');
    assertIssue(svc('  ports: [{port: 80, targetPort: true}]\n'), 'spec.ports[0].targetPort', 'port number or a port name');
  });
  it('rejects nodePort on a ClusterIP service', () => {
    assertIssue(svc('  ports: [{port: 80, nodePort: 30080}]\n'), 'spec.ports[0].nodePort', 'NodePort or LoadBalancer');
  });
  it('checks selector labels', () => {
    assertIssue(svc('  ports: [{port: 80}]\n  selector: {app: "has space"}\n'), 'spec.selector.app', 'invalid label value');
  });
  it('checks ExternalName services', () => {
    assertIssue(svc('  type: ExternalName\n'), 'spec.externalName', 'required when type is ExternalName');
    assertIssue(svc('  type: ExternalName\n  externalName: Not_A_Host\n'), 'spec.externalName', 'RFC 1123 subdomain');
  });
  it('checks cluster IPs, affinity and traffic policy', () => {
    assertIssue(svc('  ports: [{port: 80}]\n  clusterIP: 10.0.0.300\n'), 'spec.clusterIP', 'invalid clusterIP');
    assertIssue(svc('  ports: [{port: 80}]\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10}}\n'), 'spec.sessionAffinityConfig', 'not ClientIP');
    assertIssue(svc('  ports: [{port: 80}]\n  externalTrafficPolicy: Local\n'), 'spec.externalTrafficPolicy', 'NodePort or LoadBalancer');
  });
});

describe('Endpoints', () => {
  const doc = (subsets: string) => validateDoc(endpointsKind, `apiVersion: v1\nkind: Endpoints\nmetadata: {name: x}\nsubsets:\n${subsets}`);
  it('accepts subsets with addresses and ports', () => {
    const r = doc(`- addresses:
  - ip: 10.1.2.3
    nodeName: node-1
    targetRef: {kind: Pod, name: web-1, namespace: default}
  notReadyAddresses:
  - ip: "2001:db8::1"
  ports:
  - {name: http, port: 8080, protocol: TCP}
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.subsets?.[0]?.addresses?.[0]?.ip, '10.1.2.3');
  });
  it('rejects bad IPs, ports and fields', () => {
    assertIssue(doc('- addresses: [{ip: 10.1.2}]\n'), 'subsets[0].addresses[0].ip', 'invalid IP address');
    assertIssue(doc('- ports: [{port: 0}]\n'), 'subsets[0].ports[0].port', 'range 1-65535');
    assertIssue(doc('- addresses: [{ip: 10.1.2.3, zone: a}]\n'), 'subsets[0].addresses[0].zone', 'unknown field');
  });
});

describe('EndpointSlice', () => {
  const doc = (body: string) => validateDoc(endpointSliceKind, `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: x}\n${body}`);
  it('accepts a slice as the EndpointSlice controller writes it', () => {
    const r = doc(`addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 80
endpoints:
- addresses:
  - "10.1.2.3"
  conditions:
    ready: true
    serving: true
    terminating: false
  hostname: pod-1
  nodeName: node-1
  zone: us-west2-a
  targetRef: {kind: Pod, namespace: default, name: pod-1, uid: abc}
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.addressType, 'IPv4');
  });
  it('requires addressType and endpoints', () => {
    assertIssue(doc('endpoints: []\n'), 'addressType', 'expected one of');
    assertIssue(doc('addressType: IPv4\n'), 'endpoints', 'expected array');
    assert.deepEqual(doc('addressType: IPv4\nendpoints: null\n').spec?.endpoints, []);
  });
  it('checks addresses against addressType', () => {
    assertIssue(doc('addressType: IPv6\nendpoints: [{addresses: ["10.1.2.3"]}]\n'), 'endpoints[0].addresses[0]', 'invalid IPv6 address');
    assertIssue(doc('addressType: FQDN\nendpoints: [{addresses: ["Not A Name"]}]\n'), 'endpoints[0].addresses[0]', 'invalid FQDN address');
    assertIssue(doc('addressType: IPv4\nendpoints: [{addresses: []}]\n'), 'endpoints[0].addresses', 'at least one address');
  });
  it('checks port names and numbers', () => {
    assertIssue(doc('addressType: IPv4\nendpoints: []\nports: [{name: Web, port: 80}]\n'), 'ports[0].name', 'RFC 1123 label');
    assertIssue(doc('addressType: IPv4\nendpoints: []\nports: [{name: a, port: 65536}]\n'), 'ports[0].port', 'range 1-65535');
  });
});
