import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Filter, FilterChain, HttpFilter as HttpFilterConfig, Listener } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { compileListener } from './compiled-listener.js';
import { ProxyStats } from '../stats/proxy-stats.js';
import { compileSnapshot, EMPTY_RESOURCES, SnapshotError, withUpdate } from './runtime-snapshot.js';
import { StatsStore } from '../stats/stats-store.js';
import { tcpEntryPoints, tcpRouteOfChain } from './tcp-routes.js';
import { UNKNOWN_WORKLOAD } from '../stats/telemetry.js';
import { inboundPlans } from './inbound-plan.js';

const POD = '127.0.0.1';
const router: HttpFilterConfig = { name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } };
const TLS = { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': TypeUrl.DownstreamTlsContext, requireClientCertificate: { value: true } } };
const hcm = (httpFilters: HttpFilterConfig[] = [router], extra: Record<string, unknown> = {}): Filter => ({
  name: 'envoy.filters.network.http_connection_manager',
  typedConfig: { '@type': TypeUrl.HttpConnectionManager, statPrefix: 'in', rds: { routeConfigName: 'r' }, httpFilters, ...extra },
});
const tcpProxy: Filter = { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TypeUrl.TcpProxy, statPrefix: 'tcp', cluster: 'inbound|9090||' } };
const netRbac = (regex: string): Filter => ({
  name: 'envoy.filters.network.rbac',
  typedConfig: { '@type': TypeUrl.NetworkRbac, statPrefix: 'tcp.', rules: { action: 'DENY', policies: { p: { permissions: [{ requestedServerName: { safeRegex: { regex } } }], principals: [{ any: true }] } } } },
});
const plain = (port: number, filters: Filter[]): FilterChain => ({ name: `plain_${port}`, filterChainMatch: { destinationPort: { value: port }, transportProtocol: 'raw_buffer' }, filters });
const mtls = (port: number, filters: Filter[]): FilterChain => ({ name: `mtls_${port}`, filterChainMatch: { destinationPort: { value: port }, transportProtocol: 'tls' }, transportSocket: TLS, filters });
const inbound = (chains: FilterChain[]): Listener => ({ name: 'virtualInbound', address: { socketAddress: { address: '0.0.0.0', portValue: 15006 } }, filterChains: chains });

function snapshotOf(listeners: Record<string, Listener>) {
  const manager = new ClusterManager({ stats: new ProxyStats(new StatsStore()), self: UNKNOWN_WORKLOAD });
  return compileSnapshot(withUpdate(EMPTY_RESOURCES, TypeUrl.Listener, new Map(Object.entries(listeners)), '1'), { podIp: POD, clusterManager: manager });
}

test('compiled listener: every chain compiled once; HTTP entry points, TCP routes and inbound TLS plans all read the same compiled chains', () => {
  const l = inbound([plain(9080, [hcm()]), mtls(9080, [hcm()]), mtls(9090, [netRbac('^x$'), tcpProxy])]);
  const snap = snapshotOf({ virtualInbound: l });
  const cl = snap.compiled.listeners.get('virtualInbound')!;
  assert.equal(cl.direction, 'inbound');
  const [p80, m80, m90] = cl.chains;
  assert.ok(p80!.http && !p80!.transport && !p80!.tcp);
  assert.ok(m80!.http && m80!.transport?.requireClientCertificate === true);
  assert.ok(m90!.tcp && m90!.rbac?.length === 1 && !m90!.http);
  // The mTLS HCM carries its security settings (compiled at push time, not on the first request).
  assert.ok(m80!.http!.security !== undefined);
  assert.equal(snap.inboundByPort.get(9080), p80!.http);
  const plan = inboundPlans(snap, POD).get(9080)!;
  assert.equal(plan.plaintext, p80!.http);
  assert.equal(plan.tls!.hcm, m80!.http);
  const tcp = tcpEntryPoints(snap, POD).inbound.get(9090)!;
  assert.equal(tcp.tls!.route, m90!.tcp);
  assert.equal(tcp.tls!.route.rbac, m90!.rbac);
  // Per-connection lookups (auto-protocol ports) find the same compiled route.
  assert.equal(tcpRouteOfChain(l.filterChains![2], 'x'), m90!.tcp);
  // An unchanged listener object is not compiled again by the next push.
  assert.equal(compileListener(l, 'virtualInbound'), cl);
});

const badRbac: HttpFilterConfig = { name: 'envoy.filters.http.rbac', typedConfig: { '@type': TypeUrl.Rbac, rules: { action: 'ALLOW', policies: { p: { permissions: [{ urlPath: { path: { safeRegex: { regex: '([' } } } }], principals: [{ any: true }] } } } } };
const badJwt: HttpFilterConfig = { name: 'envoy.filters.http.jwt_authn', typedConfig: { '@type': TypeUrl.JwtAuthn, providers: { p: { issuer: 'x', localJwks: { inlineString: '{not json' } } }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'p' } }] } };
const badAuthz: HttpFilterConfig = { name: 'envoy.filters.http.ext_authz', typedConfig: { '@type': TypeUrl.ExtAuthz, grpcService: { envoyGrpc: { clusterName: 'authz' } } } as never };

test('compiled listener: a bad config on an mTLS chain no request has reached yet NACKs the push', () => {
  const cases: [string, FilterChain, RegExp][] = [
    ['HTTP RBAC', mtls(9080, [hcm([badRbac, router])]), /listener virtualInbound: mtls_9080\.httpFilters\[0\].*invalid RE2 regex/],
    ['jwt_authn', mtls(9080, [hcm([badJwt, router])]), /listener virtualInbound: mtls_9080\.httpFilters\[0\]\.providers\[p\]\.localJwks: jwks is not valid JSON/],
    ['ext_authz', mtls(9080, [hcm([badAuthz, router])]), /listener virtualInbound: PROXY_INVALID_HTTP_FILTERS: mtls_9080\.httpFilters\[0\]: ext_authz needs httpService/],
    ['unknown required filter', mtls(9080, [hcm([{ name: 'acme', typedConfig: { '@type': 'type.googleapis.com/acme.X' } }, router])]), /Didn't find a registered implementation for 'acme'/],
    ['network RBAC', mtls(9090, [netRbac('(['), tcpProxy]), /listener virtualInbound: mtls_9090\.filters\[0\].*invalid RE2 regex/],
    ['inline route', mtls(9080, [hcm([router], { rds: undefined, routeConfig: { name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safeRegex: { regex: '([' } }, route: { cluster: 'c' } }] }] } })]), /PROXY_INVALID_ROUTE_CONFIG: mtls_9080 inline route configuration/],
    ['access log', mtls(9080, [hcm([router], { accessLog: [{ name: 'x', typedConfig: { '@type': 'type.googleapis.com/acme.Logger' } }] })]), /listener virtualInbound: access log x: unsupported logger/],
  ];
  for (const [what, chain, re] of cases) {
    assert.throws(() => snapshotOf({ virtualInbound: inbound([plain(9080, [hcm()]), chain]) }), (e: unknown) => e instanceof SnapshotError && re.test(e.message), what);
  }
});

test('compiled listener: a bad filter config on a gateway TLS (SNI) chain NACKs the push', () => {
  const gw = (filters: HttpFilterConfig[]): Listener => ({
    name: '0.0.0.0_8443', address: { socketAddress: { address: '0.0.0.0', portValue: 8443 } },
    filterChains: [{ name: 'default/gw/https', filterChainMatch: { serverNames: ['a.example.com'] }, transportSocket: TLS, filters: [hcm(filters)] }],
  });
  const good = snapshotOf({ '0.0.0.0_8443': gw([router]) });
  assert.ok(good.gateways.get('0.0.0.0_8443')!.tls!.chains[0]!.hcm);
  assert.throws(() => snapshotOf({ '0.0.0.0_8443': gw([badJwt, router]) }), (e: unknown) => e instanceof SnapshotError && /listener 0\.0\.0\.0_8443: default\/gw\/https\.httpFilters\[0\]/.test(e.message));
});
