import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, kindByName, kindKey, lookupKind, parseApiVersion, preferredApiVersion } from './kinds.js';
import { loadTexts } from './load.js';

describe('KINDS', () => {
  it('holds every kind once, with versions and a lower-case plural', () => {
    const keys = KINDS.map((k) => `${k.group}/${k.kind}`);
    assert.equal(new Set(keys).size, keys.length);
    for (const k of KINDS) {
      assert.ok(k.versions.length > 0, k.kind);
      assert.equal(k.plural, k.plural.toLowerCase(), k.kind);
    }
    for (const kind of [
      'VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'WorkloadEntry', 'WorkloadGroup', 'Sidecar',
      'PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'Telemetry',
      'Service', 'Endpoints', 'EndpointSlice', 'Deployment', 'ServiceAccount', 'Namespace', 'Secret', 'ConfigMap',
    ]) {
      assert.ok(KINDS.some((k) => k.kind === kind), kind);
    }
  });
});

describe('lookupKind', () => {
  it('finds every served version of the Istio kinds', () => {
    for (const v of ['v1alpha3', 'v1beta1', 'v1']) assert.equal(lookupKind(`networking.istio.io/${v}`, 'VirtualService')?.kind, 'VirtualService');
    for (const v of ['v1beta1', 'v1']) assert.equal(lookupKind(`security.istio.io/${v}`, 'AuthorizationPolicy')?.kind, 'AuthorizationPolicy');
    for (const v of ['v1alpha1', 'v1']) assert.equal(lookupKind(`telemetry.istio.io/${v}`, 'Telemetry')?.kind, 'Telemetry');
  });
  it('finds the Kubernetes kinds by core and named groups', () => {
    assert.equal(lookupKind('v1', 'Service'), KINDS.find((k) => k.kind === 'Service'));
    assert.equal(lookupKind('apps/v1', 'Deployment')?.group, 'apps');
    assert.equal(lookupKind('discovery.k8s.io/v1', 'EndpointSlice')?.kind, 'EndpointSlice');
    assert.equal(lookupKind('v1', 'Namespace')?.namespaced, false);
  });
  it('rejects unserved versions, wrong groups and wrong case', () => {
    assert.equal(lookupKind('networking.istio.io/v2', 'VirtualService'), undefined);
    assert.equal(lookupKind('security.istio.io/v1alpha1', 'PeerAuthentication'), undefined);
    assert.equal(lookupKind('apps/v1beta1', 'Deployment'), undefined);
    assert.equal(lookupKind('v1', 'Deployment'), undefined);
    assert.equal(lookupKind('gateway.networking.k8s.io/v1', 'Gateway'), undefined);
    assert.equal(lookupKind('v1', 'service'), undefined);
  });
  it('parses apiVersion', () => {
    assert.deepEqual(parseApiVersion('v1'), { group: '', version: 'v1' });
    assert.deepEqual(parseApiVersion('discovery.k8s.io/v1'), { group: 'discovery.k8s.io', version: 'v1' });
  });
});

describe('kindByName', () => {
  const cases: [string, string][] = [
    ['virtualservice', 'VirtualService'], ['virtualservices', 'VirtualService'], ['vs', 'VirtualService'], ['VirtualService', 'VirtualService'],
    ['dr', 'DestinationRule'], ['gw', 'Gateway'], ['gateways.networking.istio.io', 'Gateway'], ['se', 'ServiceEntry'],
    ['we', 'WorkloadEntry'], ['wg', 'WorkloadGroup'], ['sidecars', 'Sidecar'],
    ['ap', 'AuthorizationPolicy'], ['authorizationpolicies', 'AuthorizationPolicy'], ['pa', 'PeerAuthentication'], ['ra', 'RequestAuthentication'],
    ['telemetry', 'Telemetry'], ['telemetries', 'Telemetry'],
    ['svc', 'Service'], ['services', 'Service'], ['ep', 'Endpoints'], ['endpointslices', 'EndpointSlice'], ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'], ['sa', 'ServiceAccount'], ['ns', 'Namespace'], ['secret', 'Secret'], ['cm', 'ConfigMap'], [' SVC ', 'Service'],
  ];
  for (const [name, kind] of cases) {
    it(`${JSON.stringify(name)} → ${kind}`, () => assert.equal(kindByName(name)?.kind, kind));
  }
  it('returns undefined for unknown names', () => {
    assert.equal(kindByName('statefulsets'), undefined);
    assert.equal(kindByName(''), undefined);
  });
});

describe('kindKey and preferredApiVersion', () => {
  it('prints kind.group as kubectl does', () => {
    assert.equal(kindKey(kindByName('vs')!), 'virtualservice.networking.istio.io');
    assert.equal(kindKey(kindByName('svc')!), 'service');
    assert.equal(kindKey(kindByName('deploy')!), 'deployment.apps');
    assert.equal(kindKey(kindByName('ap')!), 'authorizationpolicy.security.istio.io');
  });
  it('prefers the newest version', () => {
    assert.equal(preferredApiVersion(kindByName('vs')!), 'networking.istio.io/v1');
    assert.equal(preferredApiVersion(kindByName('telemetry')!), 'telemetry.istio.io/v1');
    assert.equal(preferredApiVersion(kindByName('svc')!), 'v1');
  });
});

describe('loading a multi-document file through the kind table', () => {
  const text = [
    'apiVersion: v1', //                          1
    'kind: Service', //                            2
    'metadata:', //                                3
    '  name: reviews', //                          4
    'spec:', //                                    5
    '  ports:', //                                 6
    '  - port: 9080', //                           7
    '    name: http', //                           8
    '  selector:', //                              9
    '    app: reviews', //                         10
    '---', //                                      11
    'apiVersion: security.istio.io/v1', //         12
    'kind: AuthorizationPolicy', //                13
    'metadata:', //                                14
    '  name: deny-bad-port', //                    15
    '  namespace: foo', //                         16
    'spec:', //                                    17
    '  action: DENY', //                           18
    '  rules:', //                                 19
    '  - to:', //                                  20
    '    - operation:', //                         21
    '        ports: ["8080", "http"]', //          22
    '',
  ].join('\n');

  it('loads the good resource and reports the bad one with IST0106, position and field', () => {
    const result = loadTexts([{ file: 'x.yaml', text }]);
    assert.deepEqual(result.resources.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`), ['Service/default/reviews']);
    const errors = result.diagnostics.filter((d) => d.level === 'Error');
    assert.equal(errors.length, 1, JSON.stringify(result.diagnostics));
    const d = errors[0]!;
    assert.equal(d.code, 'IST0106');
    assert.equal(d.field, 'spec.rules[0].to[0].operation.ports[1]');
    assert.deepEqual(d.source, { file: 'x.yaml', line: 22, column: 25 });
    assert.deepEqual(d.resource, { kind: 'AuthorizationPolicy', namespace: 'foo', name: 'deny-bad-port' });
    assert.match(d.message, /bad port \(http\)/);
  });

  it('reports an unknown field at its key', () => {
    const bad = 'apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata:\n  name: default\nspec:\n  mtls:\n    mode: STRICT\n    strict: true\n';
    const result = loadTexts([{ file: 'pa.yaml', text: bad }]);
    assert.equal(result.resources.length, 0);
    const d = result.diagnostics[0]!;
    assert.equal(d.code, 'IST0106');
    assert.equal(d.field, 'spec.mtls.strict');
    assert.deepEqual(d.source, { file: 'pa.yaml', line: 8, column: 5 });
  });

  it('reports a content-kind issue (Secret data) at the top-level field path', () => {
    const bad = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: "not base64!"\n';
    const d = loadTexts([{ file: 's.yaml', text: bad }]).diagnostics[0]!;
    assert.equal(d.field, 'data.password');
    assert.deepEqual(d.source, { file: 's.yaml', line: 6, column: 3 });
  });
});
