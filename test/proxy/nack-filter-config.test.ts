/**
 * End to end: a bad filter config on a chain no request has used yet — the mTLS chains of
 * `virtualInbound` — is NACKed at push time, and the proxy keeps serving its last good config.
 * An ADS server (the one the ADS tests use) pushes raw listeners to a real sidecar (`startProxy`)
 * whose inbound port serves a real upstream app; each bad push also re-points the plaintext chain
 * to a second app, so a request shows which config the proxy serves. Envoy rejects such a listener
 * update when the chain's filter factories fail to build (listener_impl.cc / http_connection_manager
 * config.cc); before issue 13 Weft ACKed the mTLS-only configs below and failed their connections later.
 * Ports of this file: 19620–19629 on 127.0.0.1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProxy, type ProxyHandle } from '../../src/proxy/proxy.js';
import { TypeUrl } from '../../src/envoy/type-url.js';
import type { AdsServer } from '../../src/xds/ads-server.js';
import { edsCluster, loadAssignment, MutableConfig, routeConfig, startServer, waitEvent } from '../../src/xds/testing/ads-fixtures.js';

const IP = '127.0.0.1';
const INBOUND_PORT = 19620;
const APP_OLD = 19621;
const APP_NEW = 19622;

const router = { name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } };
const TLS = { name: 'envoy.transport_sockets.tls', typedConfig: { '@type': TypeUrl.DownstreamTlsContext, requireClientCertificate: { value: true } } };
const hcm = (rds: string, httpFilters: object[] = [router], extra: object = {}) => ({
  name: 'envoy.filters.network.http_connection_manager',
  typedConfig: { '@type': TypeUrl.HttpConnectionManager, statPrefix: 'inbound_0.0.0.0_9080', rds: { routeConfigName: rds, configSource: { ads: {} } }, httpFilters, ...extra },
});
const plainChain = (rds: string) => ({ name: '0.0.0.0_9080', filterChainMatch: { destinationPort: { value: 9080 }, transportProtocol: 'raw_buffer' }, filters: [hcm(rds)] });
const mtlsChain = (port: number, filters: object[]) => ({ name: `0.0.0.0_${port}_mtls`, filterChainMatch: { destinationPort: { value: port }, transportProtocol: 'tls' }, transportSocket: TLS, filters });
const virtualInbound = (chains: object[]) => ({ name: 'virtualInbound', address: { socketAddress: { address: '0.0.0.0', portValue: 15006 } }, filterChains: chains });

const badHttpRbac = { name: 'envoy.filters.http.rbac', typedConfig: { '@type': TypeUrl.Rbac, rules: { action: 'ALLOW', policies: { 'ns[default]-policy[bad]-rule[0]': { permissions: [{ urlPath: { path: { safeRegex: { regex: '/api/([' } } } }], principals: [{ any: true }] } } } } };
const badJwt = { name: 'envoy.filters.http.jwt_authn', typedConfig: { '@type': TypeUrl.JwtAuthn, providers: { 'origins-0': { issuer: 'https://issuer.example', localJwks: { inlineString: '{"keys": [' } } }, rules: [{ match: { prefix: '/' }, requires: { providerName: 'origins-0' } }] } };
const badNetworkRbac = {
  name: 'envoy.filters.network.rbac',
  typedConfig: { '@type': TypeUrl.NetworkRbac, statPrefix: 'tcp.', rules: { action: 'DENY', policies: { 'ns[default]-policy[deny-db]-rule[0]': { permissions: [{ requestedServerName: { safeRegex: { regex: 'db.*([' } } }], principals: [{ any: true }] } } } },
};
const tcpProxy = { name: 'envoy.filters.network.tcp_proxy', typedConfig: { '@type': TypeUrl.TcpProxy, statPrefix: 'inbound|5432||', cluster: 'app-old' } };

let server: AdsServer;
let proxy: ProxyHandle;
const config = new MutableConfig();
const apps: http.Server[] = [];

function app(port: number, name: string): Promise<http.Server> {
  const s = http.createServer((_req, res) => res.end(name));
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, IP, () => resolve(s));
  });
}

function get(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: IP, port: INBOUND_PORT, path: '/api/x', headers: { host: 'app.default.svc.cluster.local', connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Pushes the current config and returns the proxy's verdict on the listeners: NACK message, or 'ACK'. */
async function pushListeners(): Promise<string> {
  const verdict = Promise.race([
    waitEvent<[unknown, string, string, string]>(server, 'nack', (_n, t) => t === TypeUrl.Listener, 'LDS NACK').then(([, , , message]) => message),
    waitEvent<[unknown, string, string]>(server, 'ack', (_n, t) => t === TypeUrl.Listener, 'LDS ACK').then(() => 'ACK'),
  ]);
  server.push();
  return verdict;
}

before(async () => {
  apps.push(await app(APP_OLD, 'old-config'), await app(APP_NEW, 'new-config'));
  config
    .set(TypeUrl.Cluster, 'app-old', edsCluster('app-old'))
    .set(TypeUrl.Cluster, 'app-new', edsCluster('app-new'))
    .set(TypeUrl.ClusterLoadAssignment, 'app-old', loadAssignment('app-old', APP_OLD))
    .set(TypeUrl.ClusterLoadAssignment, 'app-new', loadAssignment('app-new', APP_NEW))
    .set(TypeUrl.RouteConfiguration, 'old', routeConfig('old', 'app-old'))
    .set(TypeUrl.RouteConfiguration, 'new', routeConfig('new', 'app-new'))
    .set(TypeUrl.Listener, 'virtualInbound', virtualInbound([plainChain('old')]));
  server = await startServer(config);
  proxy = await startProxy({
    role: 'sidecar', ip: IP, podName: 'app-0', namespace: 'default', labels: { app: 'app' }, xds: server.address,
    outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0, bindPort: (p) => (p === 9080 ? INBOUND_PORT : 0),
  });
  await proxy.ready();
});

after(async () => {
  await proxy?.stop(500);
  await server?.stop();
  for (const s of apps) await new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); });
});

const badChains: [string, object, RegExp][] = [
  ['HTTP RBAC with an invalid regex on the mTLS HTTP chain', mtlsChain(9080, [hcm('new', [badHttpRbac, router])]), /PROXY_INVALID_LISTENER: listener virtualInbound: 0\.0\.0\.0_9080_mtls\.httpFilters\[0\]\.rules\.policies.*invalid RE2 regex/],
  ['jwt_authn with an unparsable inline JWKS on the mTLS HTTP chain', mtlsChain(9080, [hcm('new', [badJwt, router])]), /listener virtualInbound: 0\.0\.0\.0_9080_mtls\.httpFilters\[0\]\.providers\[origins-0\]\.localJwks: jwks is not valid JSON/],
  ['network RBAC with an invalid regex on an mTLS TCP chain', mtlsChain(5432, [badNetworkRbac, tcpProxy]), /listener virtualInbound: 0\.0\.0\.0_5432_mtls\.filters\[0\]\.rules\.policies.*invalid RE2 regex/],
  ['an access log the proxy cannot write on the mTLS HTTP chain', mtlsChain(9080, [hcm('new', [router], { accessLog: [{ name: 'envoy.access_loggers.grpc', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig' } }] })]), /listener virtualInbound: access log envoy\.access_loggers\.grpc: unsupported logger/],
];

test('a bad filter config on an mTLS chain is NACKed; the proxy keeps serving its last good config', async () => {
  assert.deepEqual(await get(), { status: 200, body: 'old-config' });
  const acked = proxy.ads.version(TypeUrl.Listener);
  for (const [what, chain, detail] of badChains) {
    // The update re-points the plaintext chain too: had it been accepted, requests would reach the new app.
    config.set(TypeUrl.Listener, 'virtualInbound', virtualInbound([plainChain('new'), chain]));
    const verdict = await pushListeners();
    assert.match(verdict, detail, what);
    const lds = server.status()[0]!.types.LDS;
    assert.equal(lds.state, 'STALE', what);
    assert.match(lds.nackMessage ?? '', detail, what);
    assert.equal(proxy.ads.version(TypeUrl.Listener), acked, `${what}: the client keeps the accepted version`);
    assert.deepEqual(await get(), { status: 200, body: 'old-config' }, `${what}: served by the last good config`);
  }
  // The same update with a good mTLS chain is accepted and served.
  config.set(TypeUrl.Listener, 'virtualInbound', virtualInbound([plainChain('new'), mtlsChain(9080, [hcm('new')])]));
  assert.equal(await pushListeners(), 'ACK');
  let r = await get();
  for (let i = 0; i < 100 && r.body !== 'new-config'; i++) {
    await new Promise((res) => setTimeout(res, 50));
    r = await get();
  }
  assert.deepEqual(r, { status: 200, body: 'new-config' });
});
