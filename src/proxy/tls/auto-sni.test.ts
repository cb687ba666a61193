/** Envoy's auto_sni / auto_san_validation: per-connection SNI and SANs from the request host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../envoy/types.js';
import { autoSniConfig, clusterServiceHost, DEFAULT_TRANSPORT, hostOfAuthority, requestHost, upstreamTransport } from './auto-sni.js';

const cluster = (u: object | undefined, name = 'outbound|443||api.corp.example'): Cluster => ({
  name,
  ...(u ? { typedExtensionProtocolOptions: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'x', upstreamHttpProtocolOptions: u } } } : {}),
}) as Cluster;

test('clusters without the options get no per-connection overrides', () => {
  assert.equal(autoSniConfig(cluster(undefined)), undefined);
  assert.equal(autoSniConfig(cluster({})), undefined);
  assert.equal(upstreamTransport(undefined, 'api.corp.example'), DEFAULT_TRANSPORT);
});

test('the request host, without port, is the SNI and the SAN to verify', () => {
  const cfg = autoSniConfig(cluster({ autoSni: true, autoSanValidation: true }))!;
  const t = upstreamTransport(cfg, requestHost(cfg, { host: 'Web.Corp.Example:8443' }));
  assert.equal(t.serverName, 'Web.Corp.Example');
  assert.deepEqual(t.verifySans, ['Web.Corp.Example']);
  assert.notEqual(t.key, upstreamTransport(cfg, 'other.corp.example').key, 'hosts never share connections');
});

test('auto SNI alone sets no SAN; an IP host sets no SNI but is still verified', () => {
  const sniOnly = autoSniConfig(cluster({ autoSni: true }))!;
  assert.equal(upstreamTransport(sniOnly, 'api.corp.example').verifySans, undefined);
  const both = autoSniConfig(cluster({ autoSni: true, autoSanValidation: true }))!;
  const ip = upstreamTransport(both, requestHost(both, { host: '127.0.0.9:443' }));
  assert.equal(ip.serverName, undefined);
  assert.deepEqual(ip.verifySans, ['127.0.0.9']);
  const v6 = requestHost(both, { host: '[::1]:443' });
  assert.equal(v6, '::1');
  const junk = upstreamTransport(both, 'bad host');
  assert.equal(junk.serverName, undefined, 'no SNI that is not a DNS name');
  assert.deepEqual(junk.verifySans, ['bad host'], 'still verified (and so refused)');
});

test('no request host (TCP): the cluster service host, when concrete', () => {
  const cfg = autoSniConfig(cluster({ autoSni: true, autoSanValidation: true }))!;
  const t = upstreamTransport(cfg, requestHost(cfg, undefined));
  assert.equal(t.serverName, 'api.corp.example');
  assert.equal(clusterServiceHost('outbound|443||*.corp.example'), undefined);
  assert.equal(clusterServiceHost('outbound|443|v1|db.corp.example'), 'db.corp.example');
  assert.equal(clusterServiceHost('inbound|443||'), undefined);
  const wild = autoSniConfig(cluster({ autoSni: true }, 'outbound|443||*.corp.example'))!;
  assert.equal(upstreamTransport(wild, ''), DEFAULT_TRANSPORT);
});

test('override_auto_sni_header names the header to use', () => {
  const cfg = autoSniConfig(cluster({ autoSni: true, overrideAutoSniHeader: 'X-Target' }))!;
  assert.equal(requestHost(cfg, { host: 'a.example', 'x-target': 'b.example:1' }), 'b.example');
  assert.equal(hostOfAuthority('api.example'), 'api.example');
  assert.equal(hostOfAuthority('fe80::1'), 'fe80::1');
});
