/**
 * Protocol edge cases driven by a raw gRPC stream (no AdsClient): missing node, stale nonces,
 * what counts as ACK, named subscriptions on request, wildcard types, Secrets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../envoy/type-url.js';
import { adsServiceDefinition, type DiscoveryRequestMessage, type DiscoveryResponseMessage } from './discovery-service.js';
import { decodeResource } from './protos.js';
import { baseConfig, loadAssignment, routeConfig, startServer, waitEvent, withTimeout, type MutableConfig } from './testing/ads-fixtures.js';
import type { AdsServer } from './ads-server.js';
import type { NodeInfo } from './node-info.js';

const NODE = { id: 'sidecar~127.0.0.2~raw-0.default~default.svc.cluster.local' };

/** A bare ADS stream: write requests, await responses in order. */
class RawStream {
  readonly client: grpc.Client;
  readonly call: grpc.ClientDuplexStream<DiscoveryRequestMessage, DiscoveryResponseMessage>;
  private readonly inbox: DiscoveryResponseMessage[] = [];
  private waiter: ((r: DiscoveryResponseMessage) => void) | undefined;
  readonly status: Promise<grpc.StatusObject>;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure());
    const m = adsServiceDefinition.StreamAggregatedResources;
    this.call = this.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
    this.call.on('data', (r: DiscoveryResponseMessage) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(r);
      } else this.inbox.push(r);
    });
    this.call.on('error', () => {});
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  send(req: DiscoveryRequestMessage): void {
    this.call.write(req);
  }

  next(label = 'response'): Promise<DiscoveryResponseMessage> {
    const r = this.inbox.shift();
    if (r) return Promise.resolve(r);
    return withTimeout(new Promise((resolve) => (this.waiter = resolve)), label);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

function names(res: DiscoveryResponseMessage): string[] {
  return res.resources.map((a) => {
    const o = decodeResource(res.typeUrl, a.value) as { name?: string; clusterName?: string };
    return o.name ?? o.clusterName ?? '';
  });
}

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<{ server: AdsServer; raw: RawStream; config: MutableConfig }> {
  const config = baseConfig().set(TypeUrl.Secret, 'default', { name: 'default', tlsCertificate: { certificateChain: { inlineString: 'CERT' } } });
  const server = await startServer(config);
  const raw = new RawStream(server.address);
  t.after(async () => {
    raw.close();
    await server.stop();
  });
  return { server, raw, config };
}

test('a first request without node ends the stream with INVALID_ARGUMENT', async (t) => {
  const { raw } = await setup(t);
  raw.send({ typeUrl: TypeUrl.Cluster });
  const st = await withTimeout(raw.status, 'status');
  assert.equal(st.code, grpc.status.INVALID_ARGUMENT);
  assert.match(st.details, /node/);
});

test('stale nonces are ignored; ACK needs the current nonce and the sent version', async (t) => {
  const { server, raw } = await setup(t);
  const acks: string[] = [];
  const nacks: string[] = [];
  server.on('ack', (_n: NodeInfo, _t: string, v: string) => acks.push(v));
  server.on('nack', (_n: NodeInfo, _t: string, v: string, m: string) => nacks.push(`${v}:${m}`));

  raw.send({ node: NODE, typeUrl: TypeUrl.Cluster, resourceNames: ['ignored-for-wildcard'] });
  const r1 = await raw.next();
  assert.deepEqual(names(r1).sort(), ['c1', 'c2'], 'CDS is wildcard: names in the request are ignored');

  // A NACK with a stale nonce, then an "ACK" with the right nonce but the wrong version: neither counts.
  raw.send({ typeUrl: TypeUrl.Cluster, responseNonce: 'stale-0', versionInfo: '', errorDetail: { code: 3, message: 'stale' } });
  raw.send({ typeUrl: TypeUrl.Cluster, responseNonce: r1.nonce, versionInfo: 'not-the-sent-one' });
  const acked = waitEvent(server, 'ack');
  raw.send({ typeUrl: TypeUrl.Cluster, responseNonce: r1.nonce, versionInfo: r1.versionInfo });
  await acked;
  assert.deepEqual(acks, [r1.versionInfo]);
  assert.deepEqual(nacks, []);
  assert.equal(server.status()[0]!.types.CDS.state, 'SYNCED');
});

test('named types: sent as soon as asked, only the names asked for and only what is new or changed', async (t) => {
  const { server, raw } = await setup(t);
  raw.send({ node: NODE, typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'missing'] });
  const e1 = await raw.next();
  assert.equal(e1.typeUrl, TypeUrl.ClusterLoadAssignment);
  assert.deepEqual(names(e1), ['c1']);

  raw.send({ typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'c3'], responseNonce: e1.nonce, versionInfo: e1.versionInfo });
  const e2 = await raw.next();
  assert.deepEqual(names(e2), ['c3'], 'c1 is unchanged and already at the client');
  assert.ok(Number(e2.versionInfo) > Number(e1.versionInfo));
  assert.notEqual(e2.nonce, e1.nonce);

  // Same names again (an ACK): nothing new to send; a push without changes sends nothing either.
  raw.send({ typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'c3'], responseNonce: e2.nonce, versionInfo: e2.versionInfo });
  await waitEvent(server, 'ack');
  assert.deepEqual(server.push(), { proxies: 1, responses: 0 });

  // Secrets follow the same named mechanism.
  raw.send({ typeUrl: TypeUrl.Secret, resourceNames: ['default'] });
  const s1 = await raw.next();
  assert.equal(s1.typeUrl, TypeUrl.Secret);
  assert.deepEqual(names(s1), ['default']);
  assert.equal(server.status()[0]!.types.SDS.state, 'STALE');
});

test('a NACK keeps the acked version, and a names update after it is not an ACK', async (t) => {
  const { server, raw, config } = await setup(t);
  raw.send({ node: NODE, typeUrl: TypeUrl.RouteConfiguration, resourceNames: ['r1'] });
  const r1 = await raw.next();
  raw.send({ typeUrl: TypeUrl.RouteConfiguration, resourceNames: ['r1'], responseNonce: r1.nonce, versionInfo: r1.versionInfo });
  await waitEvent(server, 'ack');

  raw.send({ typeUrl: TypeUrl.RouteConfiguration, resourceNames: ['r1', 'r2'], responseNonce: r1.nonce, versionInfo: r1.versionInfo });
  const r2 = await raw.next();
  const nack = waitEvent<[NodeInfo, string, string, string]>(server, 'nack');
  raw.send({ typeUrl: TypeUrl.RouteConfiguration, resourceNames: ['r1', 'r2'], responseNonce: r2.nonce, versionInfo: r1.versionInfo, errorDetail: { code: 3, message: 'r2 invalid' } });
  const [, , version, message] = await nack;
  assert.equal(version, r2.versionInfo);
  assert.equal(message, 'r2 invalid');
  // Names update with the same nonce and the old version: not an ACK, and nothing new to send.
  // The next change to r1 is the next response; r2 (unsubscribed) is not in it.
  raw.send({ typeUrl: TypeUrl.RouteConfiguration, resourceNames: ['r1'], responseNonce: r2.nonce, versionInfo: r1.versionInfo });
  // Requests are handled in order: once a CDS response comes back, the names update was processed.
  raw.send({ typeUrl: TypeUrl.Cluster });
  assert.equal((await raw.next()).typeUrl, TypeUrl.Cluster);
  config.set(TypeUrl.RouteConfiguration, 'r1', routeConfig('r1', 'c2')).set(TypeUrl.RouteConfiguration, 'r2', routeConfig('r2', 'c1'));
  assert.deepEqual(server.push(), { proxies: 1, responses: 1 });
  const r3 = await raw.next();
  assert.deepEqual(names(r3), ['r1']);
  const rds = server.status()[0]!.types.RDS;
  assert.equal(rds.state, 'STALE');
  assert.equal(rds.ackedVersion, r1.versionInfo);
  assert.equal(rds.nackVersion, r2.versionInfo);
  assert.equal(rds.sentVersion, r3.versionInfo);
});

test('an endpoint change sends only that ClusterLoadAssignment; a re-requested name is sent again', async (t) => {
  const { server, raw, config } = await setup(t);
  raw.send({ node: NODE, typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'c2', 'c3'] });
  const e1 = await raw.next();
  assert.deepEqual(names(e1).sort(), ['c1', 'c2', 'c3']);
  config.set(TypeUrl.ClusterLoadAssignment, 'c2', loadAssignment('c2', 9102));
  assert.deepEqual(server.push(), { proxies: 1, responses: 1 });
  const e2 = await raw.next();
  assert.deepEqual(names(e2), ['c2']);
  assert.equal(server.status()[0]!.types.EDS.resourceCount, 3);
  // Drop c3, then ask for it again: it is sent again although it did not change.
  raw.send({ typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'c2'], responseNonce: e2.nonce, versionInfo: e2.versionInfo });
  raw.send({ typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: ['c1', 'c2', 'c3'], responseNonce: e2.nonce, versionInfo: e2.versionInfo });
  const e3 = await raw.next();
  assert.deepEqual(names(e3), ['c3']);
});
