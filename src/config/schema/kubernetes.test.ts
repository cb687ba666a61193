import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { configMapKind, namespaceKind, secretKind, serviceAccountKind, serviceKind, deploymentKind, endpointsKind, endpointSliceKind } from './kubernetes.js';
import { formatPath } from '../diagnostic.js';
import type { KindInfo, SchemaIssue, ValidationResult } from '../kind-info.js';

/** Validates one whole document the way the loader does: spec, or the kind's top-level content fields. */
function validateDoc<S>(kind: KindInfo<S>, docYaml: string): ValidationResult<S> {
  const doc = parse(docYaml) as Record<string, unknown>;
  const meta = doc.metadata as { name: string; namespace?: string };
  let content: unknown = doc.spec ?? {};
  if (kind.content !== 'spec') {
    const c: Record<string, unknown> = {};
    for (const k of kind.content) if (k in doc) c[k] = doc[k];
    content = c;
  }
  return kind.validate(content, { name: meta.name, namespace: kind.namespaced ? meta.namespace ?? 'default' : '' });
}

function assertIssue(r: ValidationResult<unknown>, path: string, fragment: string, level: SchemaIssue['level'] = 'Error'): void {
  const found = r.issues.find((i) => formatPath(i.path) === path && i.message.includes(fragment) && i.level === level);
  assert.ok(found, `expected ${level} at ${path} containing "${fragment}", got ${JSON.stringify(r.issues)}`);
  if (level === 'Error') assert.equal(r.spec, undefined);
}

describe('kubernetes.ts re-exports every Kubernetes kind', () => {
  it('names and groups', () => {
    assert.deepEqual(
      [serviceKind, endpointsKind, endpointSliceKind, deploymentKind, serviceAccountKind, namespaceKind, secretKind, configMapKind].map((k) => `${k.group}/${k.kind}`),
      ['/Service', '/Endpoints', 'discovery.k8s.io/EndpointSlice', 'apps/Deployment', '/ServiceAccount', '/Namespace', '/Secret', '/ConfigMap'],
    );
    assert.equal(namespaceKind.namespaced, false);
  });
});

describe('ServiceAccount', () => {
  it("accepts Bookinfo's bookinfo-details ServiceAccount as Istio ships it", () => {
    const r = validateDoc(serviceAccountKind, 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bookinfo-details\n  labels:\n    account: details\n');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.spec, {});
  });
  it('accepts secrets, imagePullSecrets and automountServiceAccountToken', () => {
    const r = validateDoc(serviceAccountKind, `apiVersion: v1
kind: ServiceAccount
metadata: {name: build}
secrets: [{name: build-token}]
imagePullSecrets: [{name: registry}]
automountServiceAccountToken: false
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.automountServiceAccountToken, false);
  });
  it('rejects bad field types', () => {
    assertIssue(validateDoc(serviceAccountKind, 'metadata: {name: a}\nautomountServiceAccountToken: "no"\n'), 'automountServiceAccountToken', 'expected boolean');
    assertIssue(validateDoc(serviceAccountKind, 'metadata: {name: a}\nimagePullSecrets: [{name: r, key: x}]\n'), 'imagePullSecrets[0].key', 'unknown field');
  });
});

describe('Namespace', () => {
  it('accepts a namespace with finalizers', () => {
    assert.deepEqual(validateDoc(namespaceKind, 'metadata: {name: bookinfo}\nspec: {finalizers: [kubernetes]}\n').issues, []);
  });
  it('requires a DNS label name, not a subdomain', () => {
    assertIssue(validateDoc(namespaceKind, 'metadata: {name: a.b}\n'), 'metadata.name', 'RFC 1123 label');
  });
  it('rejects unknown spec fields', () => {
    assertIssue(validateDoc(namespaceKind, 'metadata: {name: a}\nspec: {labels: {}}\n'), 'spec.labels', 'unknown field');
  });
});

describe('Secret', () => {
  it('accepts a TLS secret and merges stringData into data as base64', () => {
    const r = validateDoc(secretKind, `apiVersion: v1
kind: Secret
metadata: {name: httpbin-credential, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
stringData:
  tls.key: "-----BEGIN PRIVATE KEY-----"
immutable: true
`);
    assert.deepEqual(r.issues, []);
    assert.equal(r.spec?.data?.['tls.key'], Buffer.from('-----BEGIN PRIVATE KEY-----').toString('base64'));
    assert.equal(r.spec?.stringData, undefined);
  });
  it('rejects data values that are not base64', () => {
    assertIssue(validateDoc(secretKind, 'metadata: {name: s}\ndata: {password: "not base64!"}\n'), 'data.password', 'base64');
  });
  it('rejects bad keys', () => {
    assertIssue(validateDoc(secretKind, 'metadata: {name: s}\nstringData: {"a/b": x}\n'), 'stringData.a/b', 'invalid key');
  });
  it('requires the keys of built-in types', () => {
    assertIssue(validateDoc(secretKind, 'metadata: {name: s}\ntype: kubernetes.io/tls\ndata: {tls.crt: YQ==}\n'), 'data', '"tls.key"');
    assertIssue(validateDoc(secretKind, 'metadata: {name: s}\ntype: kubernetes.io/basic-auth\n'), 'data', '"username" or "password"');
  });
  it('rejects unknown top-level content fields', () => {
    assertIssue(validateDoc(secretKind, 'metadata: {name: s}\ndata: {a: 3}\n'), 'data.a', 'expected string');
  });
});

describe('ConfigMap', () => {
  it('accepts data and binaryData', () => {
    const r = validateDoc(configMapKind, 'metadata: {name: c}\ndata: {app.properties: "a=b"}\nbinaryData: {logo.png: iVBORw0KGgo=}\n');
    assert.deepEqual(r.issues, []);
  });
  it('rejects binaryData that is not base64 and keys present in both maps', () => {
    assertIssue(validateDoc(configMapKind, 'metadata: {name: c}\nbinaryData: {x: "%%%"}\n'), 'binaryData.x', 'base64');
    assertIssue(validateDoc(configMapKind, 'metadata: {name: c}\ndata: {x: a}\nbinaryData: {x: YQ==}\n'), 'binaryData.x', 'duplicate');
  });
});
