import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpConnectionManager, HttpFilter as HttpFilterConfig } from '../../envoy/types.js';
import { httpFilters } from '../../translate/listener/http-connection-manager.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, SnapshotError, withUpdate } from '../listener/runtime-snapshot.js';
import { StatsStore } from '../stats/stats-store.js';
import { UNKNOWN_WORKLOAD } from '../stats/telemetry.js';
import { compileHttpFilterChain, defaultHttpFilterChain, HttpFilterChainError } from './http-filter-registry.js';

const PRE = ['weft.request_headers', 'weft.tracing', 'weft.security'];
const names = (hcm: HttpConnectionManager) => compileHttpFilterChain(hcm, 'l').map((f) => f.name).slice(PRE.length);
const router: HttpFilterConfig = { name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } };
const rbac: HttpFilterConfig = { name: 'envoy.filters.http.rbac', typedConfig: { '@type': TypeUrl.Rbac, rules: { action: 'DENY', policies: {} } } };
const isChainError = (re: RegExp) => (e: unknown) => e instanceof HttpFilterChainError && e.code === 'PROXY_INVALID_HTTP_FILTERS' && re.test(e.message);

test('http filter chain: the connection-manager stages first, then the configured filters in config order', () => {
  const chain = compileHttpFilterChain({ httpFilters: httpFilters([rbac]) }, 'l');
  assert.deepEqual(chain.slice(0, PRE.length).map((f) => f.name), PRE);
  assert.deepEqual(chain.slice(PRE.length).map((f) => f.name), ['envoy.filters.http.rbac', 'envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  // Compiled once per config object.
  const hcm: HttpConnectionManager = { httpFilters: httpFilters() };
  assert.equal(compileHttpFilterChain(hcm, 'l'), compileHttpFilterChain(hcm, 'l'));
  // A chain without CORS (as another control plane may send) has no CORS stage.
  assert.deepEqual(names({ httpFilters: [router] }), ['envoy.filters.http.router']);
});

test('http filter chain: no httpFilters → the router alone (Envoy default)', () => {
  assert.deepEqual(names({}), ['envoy.filters.http.router']);
  assert.deepEqual(defaultHttpFilterChain().map((f) => f.name).slice(PRE.length), ['envoy.filters.http.router']);
});

test('http filter chain: looked up by typed config type URL first, else by name', () => {
  // Any name, known type URL (Envoy ignores the name when typed_config is set).
  assert.deepEqual(names({ httpFilters: [{ name: 'my-cors', typedConfig: { '@type': TypeUrl.Cors } }, router] }), ['envoy.filters.http.cors', 'envoy.filters.http.router']);
  // No typed config: the name decides.
  assert.deepEqual(names({ httpFilters: [{ name: 'envoy.filters.http.fault' }, { name: 'envoy.filters.http.router' }] }), ['envoy.filters.http.fault', 'envoy.filters.http.router']);
  // A known name with an unknown type URL is unknown.
  assert.throws(() => names({ httpFilters: [{ name: 'envoy.filters.http.cors', typedConfig: { '@type': 'type.googleapis.com/acme.Cors' } }, router] }), isChainError(/acme\.Cors/));
});

test('http filter chain: unknown required filter → rejected with its name; unknown optional → skipped', () => {
  const unknown: HttpFilterConfig = { name: 'istio.metadata_exchange', typedConfig: { '@type': 'type.googleapis.com/io.istio.http.peer_metadata.Config' } };
  assert.throws(() => names({ httpFilters: [unknown, router] }), isChainError(/httpFilters\[0\]: unknown HTTP filter istio\.metadata_exchange \(type\.googleapis\.com\/io\.istio\.http\.peer_metadata\.Config\).*isOptional/));
  // Istio's stats filter (Telemetry metrics) is known: its config is applied by the stats layer.
  assert.deepEqual(names({ httpFilters: [{ name: 'istio.stats', typedConfig: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', typeUrl: 'type.googleapis.com/stats.PluginConfig' } as never }, router] }), ['istio.stats', 'envoy.filters.http.router']);
  assert.deepEqual(names({ httpFilters: [{ ...unknown, isOptional: true }, router] }), ['envoy.filters.http.router']);
  // protobufjs renders an Any of an unknown type as { typeUrl, value }; a TypedStruct names its inner type.
  assert.throws(() => names({ httpFilters: [{ name: 'x', typedConfig: { typeUrl: 'type.googleapis.com/acme.X', value: new Uint8Array() } as never }, router] }), isChainError(/acme\.X/));
  assert.throws(() => names({ httpFilters: [{ name: 'w', typedConfig: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', typeUrl: 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm' } }, router] }), isChainError(/wasm/));
  // A disabled filter is still looked up (Envoy validates it), and does not run.
  assert.throws(() => names({ httpFilters: [{ ...unknown, disabled: true }, router] }), isChainError(/istio\.metadata_exchange/));
  assert.deepEqual(names({ httpFilters: [{ ...rbac, disabled: true }, router] }), ['envoy.filters.http.router']);
});

test('http filter factory: one registration per kind, keyed by type URL; unknown required → error naming the type URL; unknown optional → skipped', () => {
  const rbacStage = compileHttpFilterChain({ httpFilters: [rbac, router] }, 'l')[PRE.length]!;
  assert.equal(rbacStage.name, 'envoy.filters.http.rbac');
  assert.throws(() => names({ httpFilters: [{ name: 'acme', typedConfig: { '@type': 'type.googleapis.com/acme.v1.Thing' } }, router] }),
    isChainError(/Didn't find a registered implementation for 'acme' with type URL: 'type\.googleapis\.com\/acme\.v1\.Thing'/));
  assert.deepEqual(names({ httpFilters: [{ name: 'acme', isOptional: true, typedConfig: { '@type': 'type.googleapis.com/acme.v1.Thing' } }, rbac, router] }), ['envoy.filters.http.rbac', 'envoy.filters.http.router']);
});

test('http filter factory: a config the filter cannot run is refused when the chain is built (bad RBAC regex, bad JWKS, ext_authz without an HTTP service)', () => {
  const badRbac: HttpFilterConfig = { name: 'envoy.filters.http.rbac', typedConfig: { '@type': TypeUrl.Rbac, rules: { action: 'ALLOW', policies: { p: { permissions: [{ urlPath: { path: { safeRegex: { regex: '([' } } } }], principals: [{ any: true }] } } } } };
  assert.throws(() => names({ httpFilters: [badRbac, router] }), /invalid RE2 regex/);
  const badJwt: HttpFilterConfig = { name: 'envoy.filters.http.jwt_authn', typedConfig: { '@type': TypeUrl.JwtAuthn, providers: { p: { issuer: 'x', localJwks: { inlineString: '{not json' } } }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'p' } }] } };
  assert.throws(() => names({ httpFilters: [badJwt, router] }), /jwks is not valid JSON/);
  const grpcAuthz: HttpFilterConfig = { name: 'envoy.filters.http.ext_authz', typedConfig: { '@type': TypeUrl.ExtAuthz, grpcService: { envoyGrpc: { clusterName: 'authz' } } } as never };
  assert.throws(() => names({ httpFilters: [grpcAuthz, router] }), isChainError(/ext_authz needs httpService\.serverUri\.cluster/));
  const httpAuthz: HttpFilterConfig = { name: 'envoy.filters.http.ext_authz', typedConfig: { '@type': TypeUrl.ExtAuthz, httpService: { serverUri: { uri: 'http://authz', cluster: 'outbound|80||authz', timeout: '1s' } } } as never };
  assert.deepEqual(names({ httpFilters: [httpAuthz, router] }), ['envoy.filters.http.ext_authz', 'envoy.filters.http.router']);
});

test('http filter chain: the router must end the chain, and the chain must end with it', () => {
  assert.throws(() => names({ httpFilters: [router, rbac] }), isChainError(/terminal filter envoy\.filters\.http\.router.*must be the last/));
  assert.throws(() => names({ httpFilters: [rbac] }), isChainError(/non-terminal filter envoy\.filters\.http\.rbac .*is the last filter/));
  // A filter-level fault config would be ignored by Weft's per-route fault filter: refused, not dropped.
  assert.throws(() => names({ httpFilters: [{ name: 'f', typedConfig: { '@type': TypeUrl.Fault, abort: { httpStatus: 503 } } }, router] }), isChainError(/filter-level fault/));
});

test('a listener whose connection manager names an unknown required HTTP filter is NACKed with that reason', () => {
  const manager = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  const listener = (filters: HttpFilterConfig[]) => ({
    name: '0.0.0.0_9080', address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } }, bindToPort: { value: false },
    filterChains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: { '@type': TypeUrl.HttpConnectionManager, rds: { routeConfigName: '9080' }, httpFilters: filters } }] }],
  });
  const bad = withUpdate(EMPTY_RESOURCES, TypeUrl.Listener, new Map([['0.0.0.0_9080', listener([{ name: 'acme.filter', typedConfig: { '@type': 'type.googleapis.com/acme.Filter' } }, router])]]), '1');
  assert.throws(() => compileSnapshot(bad, { podIp: '127.0.0.1', clusterManager: manager }),
    (e: unknown) => e instanceof SnapshotError && /PROXY_INVALID_LISTENER: listener 0\.0\.0\.0_9080: PROXY_INVALID_HTTP_FILTERS: .*unknown HTTP filter acme\.filter/.test(e.message));
  const ok = withUpdate(EMPTY_RESOURCES, TypeUrl.Listener, new Map([['0.0.0.0_9080', listener([{ name: 'acme.filter', isOptional: true, typedConfig: { '@type': 'type.googleapis.com/acme.Filter' } }, ...httpFilters()])]]), '1');
  const snap = compileSnapshot(ok, { podIp: '127.0.0.1', clusterManager: manager });
  assert.deepEqual(snap.outboundByPort.get(9080)!.filters!.map((f) => f.name).slice(PRE.length), ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
});
