/**
 * ADS server + client over real gRPC on 127.0.0.1: initial sync, change-only pushes, named
 * subscriptions, NACK, server restart, filtered pushes and push order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import type { AdsServer } from './ads-server.js';
import type { AdsClient } from './ads-client.js';
import type { NodeInfo } from './node-info.js';
import {
  allSynced, baseConfig, edsCluster, loadAssignment, rdsListener, routeConfig, startClient, startServer, until,
  UpdateLog, waitEvent,
} from './testing/ads-fixtures.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;
const LDS = TypeUrl.Listener;
const RDS = TypeUrl.RouteConfiguration;

const SIDECAR_A = 'sidecar~127.0.0.2~productpage-0.default~default.svc.cluster.local';
const SIDECAR_B = 'sidecar~127.0.0.3~reviews-0.ns2~ns2.svc.cluster.local';

async function synced(server: AdsServer, proxies = 1): Promise<void> {
  await until(server, ['ack', 'connect'], () => allSynced(server, ['CDS', 'EDS', 'LDS', 'RDS'], proxies), 'all types SYNCED');
}

function closeAll(t: { after: (fn: () => Promise<void> | void) => void }, server: () => AdsServer | undefined, ...clients: AdsClient[]): void {
  t.after(async () => {
    for (const c of clients) c.close();
    await server()?.stop();
  });
}

test('initial sync delivers all four types with the right names', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  const connected = waitEvent<[NodeInfo, number]>(server, 'connect');
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);

  const [node] = await connected;
  assert.equal(node.id, SIDECAR_A);
  assert.equal(node.namespace, 'default');
  assert.deepEqual(node.metadata, { NAMESPACE: 'default' });
  await synced(server);

  assert.deepEqual([...client.resources(CDS).keys()].sort(), ['c1', 'c2']);
  assert.deepEqual([...client.resources(EDS).keys()].sort(), ['c1', 'c2'], 'only CLAs of the EDS clusters (not c3)');
  assert.deepEqual([...client.resources(LDS).keys()], ['l1']);
  assert.deepEqual([...client.resources(RDS).keys()], ['r1'], 'only the route config the listener names (not r2)');
  assert.deepEqual(client.subscribedNames(EDS), ['c1', 'c2']);
  assert.deepEqual(client.subscribedNames(RDS), ['r1']);

  const [row] = server.status();
  assert.equal(row!.id, SIDECAR_A);
  assert.equal(row!.cluster, 'test');
  assert.ok(!Number.isNaN(Date.parse(row!.connectedSince)));
  for (const ty of ['CDS', 'EDS', 'LDS', 'RDS'] as const) {
    assert.equal(row!.types[ty].sentVersion, row!.types[ty].ackedVersion);
    assert.equal(client.version(TypeUrl[({ CDS: 'Cluster', EDS: 'ClusterLoadAssignment', LDS: 'Listener', RDS: 'RouteConfiguration' } as const)[ty]]), row!.types[ty].ackedVersion);
  }
  assert.equal(row!.types.SDS.state, 'NOT SENT');
  const ep = client.resources(EDS).get('c1') as { endpoints: { lbEndpoints: { endpoint: { address: { socketAddress: { portValue: number } } } }[] }[] };
  assert.equal(ep.endpoints[0]!.lbEndpoints[0]!.endpoint.address.socketAddress.portValue, 9001);
});

test('a change to one cluster pushes only CDS; unchanged content pushes nothing', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);

  const responses: string[] = [];
  client.on('response', (typeUrl) => responses.push(typeUrl));
  // Same content in new objects: nothing to send.
  config.set(CDS, 'c1', edsCluster('c1')).set(RDS, 'r1', routeConfig('r1', 'c1'));
  assert.deepEqual(server.push(), { proxies: 1, responses: 0 });

  const from = log.updates.length;
  config.set(CDS, 'c2', edsCluster('c2', 7));
  const acked = waitEvent<[NodeInfo, string, string]>(server, 'ack', (_n, ty) => ty === CDS);
  assert.deepEqual(server.push(), { proxies: 1, responses: 1 });
  const u = await log.next((x) => x.typeUrl === CDS, from);
  assert.deepEqual(u.names, ['c1', 'c2']);
  assert.deepEqual((u.resources.get('c2') as { connectTimeout: unknown }).connectTimeout, { seconds: 7 });
  await acked;

  // A later route change is the next thing the client sees: nothing else came in between.
  config.set(RDS, 'r1', routeConfig('r1', 'c2'));
  server.push();
  await log.next((x) => x.typeUrl === RDS, from);
  assert.deepEqual(responses, [CDS, RDS]);
  assert.deepEqual(log.updates.slice(from).map((x) => x.typeUrl), [CDS, RDS]);
});

test('EDS and RDS carry only requested names, sent as soon as they are asked for or appear', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);

  // A new EDS cluster c3: CDS push, then the client asks for c3's endpoints and gets them.
  let from = log.updates.length;
  config.set(CDS, 'c3', edsCluster('c3'));
  server.push();
  const eds = await log.next((x) => x.typeUrl === EDS && x.names.includes('c3'), from);
  assert.deepEqual(eds.names, ['c1', 'c2', 'c3']);
  assert.deepEqual(log.updates.slice(from).map((x) => x.typeUrl), [CDS, EDS]);

  // A listener naming a route config that does not exist yet: nothing for it until it appears.
  from = log.updates.length;
  config.set(LDS, 'l2', rdsListener('l2', 15002, 'r9'));
  server.push();
  await log.next((x) => x.typeUrl === LDS && x.names.includes('l2'), from);
  await until(client, ['ack'], () => client.subscribedNames(RDS).includes('r9'), 'RDS subscription to r9');
  assert.ok(!client.resources(RDS).has('r9'));
  config.set(RDS, 'r9', routeConfig('r9', 'c3'));
  server.push();
  const rds = await log.next((x) => x.typeUrl === RDS && x.names.includes('r9'), from);
  assert.deepEqual(rds.names, ['r1', 'r9']);
  assert.ok(!rds.names.includes('r2'));
  await synced(server);

  // Dropping the listener unsubscribes r9; the RDS set shrinks with the next RDS update.
  config.delete(LDS, 'l2');
  server.push();
  await until(client, ['ack'], () => client.subscribedNames(RDS).join() === 'r1', 'RDS subscription back to r1');
  assert.deepEqual([...client.resources(RDS).keys()], ['r1']);
});

test('NACK: server shows STALE with the message, client keeps the old resources, next good push is SYNCED', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  log.decide = (u) => {
    const c1 = u.typeUrl === CDS ? (u.resources.get('c1') as { connectTimeout?: { seconds?: number } } | undefined) : undefined;
    return c1?.connectTimeout?.seconds === 99 ? 'c1: connect timeout 99s rejected' : undefined;
  };
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);
  const goodVersion = client.version(CDS);

  config.set(CDS, 'c1', edsCluster('c1', 99));
  const nack = waitEvent<[NodeInfo, string, string, string]>(server, 'nack');
  server.push();
  const [, typeUrl, rejected, message] = await nack;
  assert.equal(typeUrl, CDS);
  assert.equal(message, 'c1: connect timeout 99s rejected');
  const cds = server.status()[0]!.types.CDS;
  assert.equal(cds.state, 'STALE');
  assert.equal(cds.nackMessage, 'c1: connect timeout 99s rejected');
  assert.equal(cds.nackVersion, rejected);
  assert.equal(cds.sentVersion, rejected);
  assert.equal(cds.ackedVersion, goodVersion);
  assert.equal(client.version(CDS), goodVersion);
  assert.deepEqual((client.resources(CDS).get('c1') as { connectTimeout: unknown }).connectTimeout, { seconds: 1 });
  assert.deepEqual(server.push(), { proxies: 1, responses: 0 }, 'the rejected content is not resent');

  config.set(CDS, 'c1', edsCluster('c1', 3));
  const ack = waitEvent<[NodeInfo, string, string]>(server, 'ack', (_n, ty) => ty === CDS);
  server.push();
  const [, , version] = await ack;
  const after = server.status()[0]!.types.CDS;
  assert.equal(after.state, 'SYNCED');
  assert.equal(after.ackedVersion, version);
  assert.equal(client.version(CDS), version);
  assert.ok(Number(version) > Number(rejected), 'versions increase');
  assert.deepEqual((client.resources(CDS).get('c1') as { connectTimeout: unknown }).connectTimeout, { seconds: 3 });
});

test('server restart: the client keeps its resources, reconnects and resyncs', async (t) => {
  const config = baseConfig();
  let server: AdsServer | undefined = await startServer(config);
  const port = server.port;
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);

  const disconnected = waitEvent(client, 'disconnected');
  await server.stop();
  server = undefined;
  await disconnected;
  assert.deepEqual([...client.resources(CDS).keys()].sort(), ['c1', 'c2'], 'resources kept while away');
  assert.deepEqual([...client.resources(RDS).keys()], ['r1']);

  // Let a reconnect attempt or two fail against the closed port.
  await waitEvent(client, 'disconnected');
  const from = log.updates.length;
  config.set(CDS, 'c4', edsCluster('c4')).set(EDS, 'c4', loadAssignment('c4', 9004));
  server = await startServer(config, port);
  const reconnected = waitEvent<[NodeInfo, number]>(server, 'connect');
  await reconnected;
  const eds = await log.next((x) => x.typeUrl === EDS && x.names.includes('c4'), from);
  assert.deepEqual(eds.names, ['c1', 'c2', 'c4']);
  await synced(server);
  // Unchanged types were re-sent on the new stream but not handed to onUpdate again.
  assert.deepEqual([...new Set(log.updates.slice(from).map((x) => x.typeUrl))].sort(), [CDS, EDS].sort());
  assert.equal(client.version(LDS), server.status()[0]!.types.LDS.ackedVersion);
});

test('push(filter) reaches only the selected proxies', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const logA = new UpdateLog();
  const logB = new UpdateLog();
  const a = startClient(server.address, SIDECAR_A, logA);
  const b = startClient(server.address, SIDECAR_B, logB);
  closeAll(t, () => server, a, b);
  await synced(server, 2);

  const bResponses: string[] = [];
  b.on('response', (typeUrl) => bResponses.push(typeUrl));
  const fromA = logA.updates.length;
  const fromB = logB.updates.length;
  config.set(CDS, 'c2', edsCluster('c2', 5));
  assert.deepEqual(server.push((n) => n.namespace === 'default'), { proxies: 1, responses: 1 });
  await logA.next((x) => x.typeUrl === CDS, fromA);
  assert.equal(bResponses.length, 0);

  // Now everyone: B's next CDS update is the first thing B receives.
  server.push();
  const u = await logB.next((x) => x.typeUrl === CDS, fromB);
  assert.deepEqual((u.resources.get('c2') as { connectTimeout: unknown }).connectTimeout, { seconds: 5 });
  assert.deepEqual(bResponses, [CDS]);
  assert.deepEqual(logA.updates.slice(fromA).map((x) => x.typeUrl), [CDS]);
});

test('one push sends changed types in CDS, EDS, LDS, RDS order', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);

  const order: string[] = [];
  client.on('response', (typeUrl) => order.push(typeUrl));
  config
    .set(RDS, 'r1', routeConfig('r1', 'c2'))
    .set(LDS, 'l1', rdsListener('l1', 15009, 'r1'))
    .set(EDS, 'c1', loadAssignment('c1', 9101))
    .set(CDS, 'c1', edsCluster('c1', 4));
  assert.deepEqual(server.push(), { proxies: 1, responses: 4 });
  await until(client, ['response'], () => order.length === 4, 'four responses');
  assert.deepEqual(order, [CDS, EDS, LDS, RDS]);
  await synced(server);
});

test('a proxy disconnecting disappears from status and fires disconnect', async (t) => {
  const config = baseConfig();
  const server = await startServer(config);
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);
  const gone = waitEvent<[NodeInfo, number]>(server, 'disconnect');
  client.close();
  const [node] = await gone;
  assert.equal(node.id, SIDECAR_A);
  assert.deepEqual(server.status(), []);
  assert.deepEqual(server.push(), { proxies: 0, responses: 0 });
});

test('memory: unchanged resources keep their bytes (lazy types) or decoded objects (eager types) across pushes', async (t) => {
  const config = baseConfig().set(LDS, 'l2', rdsListener('l2', 15002, 'r1'));
  const server = await startServer(config);
  const log = new UpdateLog();
  const client = startClient(server.address, SIDECAR_A, log);
  closeAll(t, () => server, client);
  await synced(server);
  const { EncodedResourceMap } = await import('./encoded-resources.js');
  const cds = client.resources(CDS) as InstanceType<typeof EncodedResourceMap>;
  const lds = client.resources(LDS) as InstanceType<typeof EncodedResourceMap>;
  assert.ok(cds instanceof EncodedResourceMap && cds.lazy && !(lds as InstanceType<typeof EncodedResourceMap>).lazy);
  const c2Bytes = cds.encoded('c2');
  const l2 = lds.get('l2');
  assert.equal(cds.held('c1'), undefined, 'lazy: no decoded object kept after the update');

  const from = log.updates.length;
  config.set(CDS, 'c1', edsCluster('c1', 9)).set(LDS, 'l1', rdsListener('l1', 15009, 'r1'));
  server.push();
  await log.next((x) => x.typeUrl === LDS, from);
  await until(client, ['ack'], () => client.version(LDS) === log.last(LDS)!.version, 'LDS ACK');
  const cds2 = client.resources(CDS) as InstanceType<typeof EncodedResourceMap>;
  assert.notEqual(cds2, cds);
  assert.equal(cds2.encoded('c2'), c2Bytes, 'unchanged cluster: same bytes object');
  assert.deepEqual((cds2.get('c1') as { connectTimeout: unknown }).connectTimeout, { seconds: 9 });
  assert.equal(client.resources(LDS).get('l2'), l2, 'unchanged listener: same decoded object');
  assert.notDeepEqual(client.resources(LDS).get('l1'), lds.get('l1'));
});

test('a resource that does not decode is NACKed; byte-identical resources are not decoded again', async (t) => {
  const grpc = await import('@grpc/grpc-js');
  const { adsPreEncodedServiceDefinition } = await import('./discovery-service.js');
  const { encodeResponse, ResourceEncoder } = await import('./ads-wire.js');
  const encoder = new ResourceEncoder();
  const good = encodeResource(CDS, edsCluster('c1'));
  // A Cluster whose field 1 reads fine by hand but whose connect_timeout (field 4) is not a message.
  const bad = Buffer.concat([Buffer.from(encodeResource(CDS, edsCluster('c2'))), Buffer.from([0x22, 0x02, 0xff, 0xff])]);
  const responses = [[good], [good, bad]];
  const server = new grpc.Server();
  server.addService(adsPreEncodedServiceDefinition, {
    StreamAggregatedResources: (call: import('@grpc/grpc-js').ServerDuplexStream<unknown, Buffer>) => {
      let n = 0;
      call.on('data', (req: { typeUrl?: string }) => {
        if (req.typeUrl !== CDS || n >= responses.length) return;
        const frames = responses[n]!.map((b) => encoder.frame(CDS, b));
        call.write(encodeResponse({ versionInfo: String(++n), typeUrl: CDS, nonce: `n${n}`, frames }));
      });
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const log = new UpdateLog();
  const client = startClient(`127.0.0.1:${port}`, SIDECAR_A, log, { wildcardTypes: [CDS] });
  t.after(() => {
    client.close();
    server.forceShutdown();
  });
  const nack = await waitEvent<[string, string, string]>(client, 'nack');
  assert.equal(nack[1], '2');
  assert.match(nack[2], /^cannot decode type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster: /);
  assert.equal(client.version(CDS), '1', 'the last good version stays accepted');
  assert.deepEqual([...client.resources(CDS).keys()], ['c1']);
  assert.equal(log.updates.length, 1);
});
