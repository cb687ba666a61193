import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText, loadTexts, LoadCodes } from './load.js';
import type { EnvoyFilterSpec } from './envoy-filter.js';

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route:
    - destination: {host: web}
`;

const ENVOY_FILTER = `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: lua
  namespace: shop
spec:
  workloadSelector:
    labels: {app: web}
  priority: -1
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        portNumber: 8080
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.lua
        typed_config: {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}
`;

const doc = (apiVersion: string, kind: string, name: string) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: {}\n`;

test('kinds that are not Istio config are skipped with an info (WFT0007) naming kind, file:line and resource; the rest loads', () => {
  const text = [doc('networking.k8s.io/v1', 'NetworkPolicy', 'deny'), doc('monitoring.coreos.com/v1', 'PrometheusRule', 'r'), doc('install.istio.io/v1alpha1', 'IstioOperator', 'io'), doc('apps/v1', 'StatefulSet', 'db'), VS].join('---\n');
  const out = parseText('mixed.yaml', text);
  assert.deepEqual(out.resources.map((r) => r.kind), ['VirtualService']);
  assert.deepEqual(out.diagnostics.map((d) => [d.code, d.level, d.source?.line, d.resource?.kind]), [
    [LoadCodes.NotIstio, 'Info', 2, 'NetworkPolicy'],
    [LoadCodes.NotIstio, 'Info', 7, 'PrometheusRule'],
    [LoadCodes.NotIstio, 'Info', 12, 'IstioOperator'],
    [LoadCodes.NotIstio, 'Info', 17, 'StatefulSet'],
  ]);
  assert.equal(out.diagnostics[0]!.message, "NetworkPolicy (networking.k8s.io/v1) is not Istio configuration: skipped (the file's other documents load)");
});

test('Istio kinds Weft does not run are a warning (WFT0006) naming the kind as unsupported, never "unknown kind"', () => {
  for (const [apiVersion, kind] of [
    ['networking.istio.io/v1alpha3', 'EnvoyFilter'], ['extensions.istio.io/v1alpha1', 'WasmPlugin'], ['networking.istio.io/v1beta1', 'ProxyConfig'],
    ['gateway.networking.k8s.io/v1', 'HTTPRoute'], ['gateway.networking.k8s.io/v1', 'Gateway'], ['rbac.istio.io/v1alpha1', 'ServiceRole'],
  ] as const) {
    const out = parseText('x.yaml', `${doc(apiVersion, kind, 'x')}---\n${VS}`);
    assert.deepEqual(out.resources.map((r) => r.kind), ['VirtualService'], kind);
    assert.equal(out.diagnostics.length, 1, `${kind}: ${JSON.stringify(out.diagnostics)}`);
    const d = out.diagnostics[0]!;
    assert.equal(d.code, LoadCodes.UnsupportedKind);
    assert.equal(d.level, 'Warning');
    assert.match(d.message, new RegExp(`^${kind} \\(${apiVersion.replace(/\./g, '\\.')}\\) is an Istio kind Weft does not run`));
    assert.doesNotMatch(d.message, /unknown kind/);
  }
});

test('typos and unserved versions of kinds Weft runs stay errors (WFT0002), as the API server refuses them', () => {
  for (const [apiVersion, kind] of [['networking.istio.io/v1', 'VirtualSevice'], ['networking.istio.io/v2', 'VirtualService'], ['v2', 'Service'], ['networking.istio.io/v1', 'EnvoyFilter']] as const) {
    const out = parseText('x.yaml', doc(apiVersion, kind, 'x'));
    assert.deepEqual(out.diagnostics.map((d) => [d.code, d.level]), [[LoadCodes.UnknownKind, 'Error']], `${apiVersion} ${kind}`);
  }
});

test('an EnvoyFilter is parsed into a typed resource for analysis (notRun), with line numbers, and never stored as a resource', () => {
  const out = loadTexts([{ file: 'ef.yaml', text: `${ENVOY_FILTER}---\n${VS}` }]);
  assert.deepEqual(out.resources.map((r) => r.kind), ['VirtualService']);
  assert.equal(out.notRun?.length, 1);
  const ef = out.notRun![0]!;
  assert.equal(ef.kind, 'EnvoyFilter');
  assert.deepEqual([ef.metadata.namespace, ef.metadata.name], ['shop', 'lua']);
  const spec = ef.spec as EnvoyFilterSpec;
  assert.equal(spec.priority, -1);
  assert.equal(spec.configPatches?.[0]?.applyTo, 'HTTP_FILTER');
  assert.equal(spec.configPatches?.[0]?.match?.listener?.filterChain?.filter?.subFilter?.name, 'envoy.filters.http.router');
  assert.equal(spec.configPatches?.[0]?.patch?.operation, 'INSERT_BEFORE');
  assert.equal(ef.source.line, 1);
  assert.equal(ef.locate(['spec', 'configPatches', 0, 'patch', 'operation']).line, 21);
});

test('a malformed EnvoyFilter is a warning (it is not run) and is left out of analysis; its file still loads', () => {
  const bad = ENVOY_FILTER.replace('priority: -1', 'priority: high').replace('applyTo: HTTP_FILTER', 'applyTo: [HTTP_FILTER]');
  const out = parseText('ef.yaml', `${bad}---\n${VS}`);
  assert.deepEqual(out.resources.map((r) => r.kind), ['VirtualService']);
  assert.equal(out.notRun?.length, 0);
  assert.ok(out.diagnostics.every((d) => d.level !== 'Error'), JSON.stringify(out.diagnostics));
  const fields = out.diagnostics.filter((d) => d.code === 'IST0106').map((d) => [d.field, d.source?.line]);
  assert.deepEqual(fields, [['spec.priority', 9], ['spec.configPatches[0].applyTo', 11]]);
});
