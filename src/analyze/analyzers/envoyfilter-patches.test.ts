import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, TEST_FILE } from './testing/analyze-yaml.js';
import { loadTexts } from '../../config/load.js';
import { analyzeLoaded } from '../analyze.js';
import { envoyFilterPatchAnalyzer } from './envoyfilter-patches.js';
import { envoyFilterView } from '../envoy-filter.js';

function filter(name: string, patches: string, priority?: number): string {
  return `---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata:
  name: ${name}
  namespace: bookinfo
spec:
${priority === undefined ? '' : `  priority: ${priority}\n`}  workloadSelector:
    labels:
      app: reviews
  configPatches:
${patches}`;
}

const lua = (name: string) => `      value:
        name: ${name}
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
`;

const short = (m: { code: string; level: string; resource?: { name: string }; source?: { line: number } }) =>
  `${m.level} ${m.code} ${m.resource?.name}:${m.source?.line}`;

test('envoyfilter: REPLACE outside HTTP_FILTER/NETWORK_FILTER is IST0152; on a filter without priority it is relative (IST0151)', () => {
  const yaml = filter('replace-cluster', `  - applyTo: CLUSTER
    patch:
      operation: REPLACE
${lua('c1')}`) + filter('replace-filter', `  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
    patch:
      operation: REPLACE
${lua('f1')}`) + filter('replace-prioritized', `  - applyTo: HTTP_FILTER
    patch:
      operation: REPLACE
${lua('f2')}`, 10);
  const msgs = analyzeYaml(yaml, envoyFilterPatchAnalyzer).map(short).sort();
  assert.deepEqual(msgs, [
    `Error IST0152 replace-cluster:${lineOf(yaml, 'value:', 1)}`,
    `Warning IST0151 replace-filter:${lineOf(yaml, 'value:', 2)}`,
  ]);
  const m = analyzeYaml(yaml, envoyFilterPatchAnalyzer).find((x) => x.code === 'IST0152')!;
  assert.equal(m.message, 'The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.');
  assert.equal(`${m.resource?.kind} ${m.resource?.namespace}/${m.resource?.name}`, 'EnvoyFilter bookinfo/replace-cluster');
});

test('envoyfilter: ADD and REMOVE on ROUTE_CONFIGURATION / HTTP_ROUTE are IST0153 / IST0154; REMOVE elsewhere is relative', () => {
  const yaml = filter('add-route', `  - applyTo: HTTP_ROUTE
    patch:
      operation: ADD
${lua('r1')}`) + filter('add-listener', `  - applyTo: LISTENER
    patch:
      operation: ADD
${lua('l1')}`) + filter('remove-routecfg', `  - applyTo: ROUTE_CONFIGURATION
    patch:
      operation: REMOVE
`) + filter('remove-filter', `  - applyTo: NETWORK_FILTER
    match:
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.tcp_proxy
    patch:
      operation: REMOVE
`);
  const msgs = analyzeYaml(yaml, envoyFilterPatchAnalyzer).map(short).sort();
  assert.deepEqual(msgs, [
    `Error IST0153 add-route:${lineOf(yaml, 'value:', 1)}`,
    `Error IST0154 remove-routecfg:${lineOf(yaml, 'operation: REMOVE', 1)}`,
    `Warning IST0151 remove-filter:${lineOf(yaml, 'operation: REMOVE', 2)}`,
  ].sort());
  const texts = new Set(analyzeYaml(yaml, envoyFilterPatchAnalyzer).map((m) => m.message));
  assert.ok(texts.has('The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.'));
  assert.ok(texts.has('The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.'));
});

test('envoyfilter: a relative patch on a filter name an earlier patch matched by proxyVersion is IST0155', () => {
  const yaml = filter('versioned', `  - applyTo: HTTP_FILTER
    match:
      proxy:
        proxyVersion: '^1\\.11.*'
    patch:
      operation: INSERT_BEFORE
${lua('envoy.lua')}  - applyTo: HTTP_FILTER
    match:
      proxy:
        proxyVersion: '^1\\.12.*'
    patch:
      operation: INSERT_AFTER
${lua('envoy.lua')}`);
  const msgs = analyzeYaml(yaml, envoyFilterPatchAnalyzer);
  assert.deepEqual(msgs.map(short), [
    `Warning IST0151 versioned:${lineOf(yaml, 'value:', 1)}`,
    `Warning IST0155 versioned:${lineOf(yaml, 'value:', 2)}`,
  ]);
  assert.match(msgs[0]!.message, /^This EnvoyFilter does not have a priority and has a relative patch operation set/);
  assert.match(msgs[1]!.message, /and proxyVersion set which can cause the EnvoyFilter not to be applied during an upgrade/);
});

test('envoyfilter: absolute operations (ADD on filters, INSERT_FIRST, MERGE) and prioritized relative ones are quiet', () => {
  const yaml = filter('absolute', `  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_FIRST
${lua('a')}  - applyTo: LISTENER
    patch:
      operation: ADD
${lua('b')}  - applyTo: CLUSTER
    patch:
      operation: MERGE
${lua('c')}`) + filter('prioritized', `  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_BEFORE
${lua('d')}`, -5);
  assert.deepEqual(analyzeYaml(yaml, envoyFilterPatchAnalyzer).map(short), []);
});

test('envoyfilter: a patch with no patch section stops the checks of that filter, as in istioctl', () => {
  const yaml = filter('stops', `  - applyTo: HTTP_FILTER
  - applyTo: CLUSTER
    patch:
      operation: REPLACE
${lua('x')}`);
  assert.deepEqual(analyzeYaml(yaml, envoyFilterPatchAnalyzer).map(short), []);
});

test('envoy-filter view: typed input (enum numbers) reads like raw YAML; malformed input never throws', () => {
  const v = envoyFilterView({ priority: 3, configPatches: [{ applyTo: 7, patch: { operation: 2, value: { name: 'x' } } }] });
  assert.equal(v.priority, 3);
  assert.equal(v.configPatches[0]!.applyTo, 'HTTP_ROUTE');
  assert.equal(v.configPatches[0]!.patch?.operation, 'ADD');
  for (const bad of [null, 'x', 42, [], { configPatches: 'no' }, { configPatches: [null, 7, { patch: 'x' }] }]) {
    assert.doesNotThrow(() => envoyFilterView(bad));
  }
  assert.equal(envoyFilterView({ configPatches: [{}] }).configPatches[0]!.applyTo, 'INVALID');
});

test('envoyfilter: a whole analysis run reports EnvoyFilter patches as the loader hands the resource over', () => {
  const yaml = filter('replace-cluster', `  - applyTo: CLUSTER
    patch:
      operation: REPLACE
${lua('c1')}`);
  const result = analyzeLoaded(loadTexts([{ file: TEST_FILE, text: yaml }]));
  // (WFT0021 also notes that the bookinfo namespace is not declared.)
  assert.deepEqual(result.messages.filter((m) => m.code.startsWith('IST')).map((m) => `${m.level} ${m.code} ${m.resource?.kind} ${m.resource?.namespace}/${m.resource?.name} ${m.source?.file}:${m.source?.line}`), [
    `Error IST0152 EnvoyFilter bookinfo/replace-cluster ${TEST_FILE}:${lineOf(yaml, 'value:')}`,
  ]);
});
