/**
 * Child process of the ADS benchmark: N simulated proxies in one process, each on its own gRPC
 * channel (its own HTTP/2 connection), as distinct pods.
 * - `full`: Weft's `AdsClient` (decodes every resource, follows EDS/RDS dependencies, ACKs).
 * - `light`: a raw ADS stream per proxy that subscribes as a sidecar does (CDS, LDS wildcard; EDS
 *   and RDS by the names a sidecar of this mesh asks for) and ACKs each response without decoding
 *   the resources, so thousands fit in one process and the measurement is the server's.
 * Options: a JSON file named by argv[2]. Prints `PROGRESS {json}` every second while proxies start
 * and sync, `SYNCED {json}` once every proxy has its first config; on stdin `ARM` it prints `ARMED`
 * and from then records, per proxy, the process.hrtime (ns) of the first RouteConfiguration update
 * it accepts (ACK sent) and receives, then prints `UPDATES {json}` (or after `timeoutMs`).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { AdsClient } from '../src/xds/ads-client.js';
import { adsServiceDefinition, type DiscoveryRequestMessage, type DiscoveryResponseMessage } from '../src/xds/discovery-service.js';
import { toNodeMessage } from '../src/xds/node-info.js';
import { TypeUrl } from '../src/xds/protos.js';
import type { BenchNode } from './ads-control-child.js';

/** Options from the parent. */
export interface AdsClientsOptions {
  readonly kind: 'full' | 'light';
  readonly xds: string;
  readonly nodes: readonly BenchNode[];
  readonly namesFile: string;
  readonly syncTimeoutMs: number;
  readonly updateTimeoutMs: number;
  /** Proxies started per second (0: all at once). */
  readonly rampPerSecond: number;
}

/** The `UPDATES` line's payload: hrtime ns per proxy (NaN-free; missing ones left out). */
export interface AdsClientsUpdates {
  readonly accepted: number[];
  readonly received: number[];
  readonly missing: number;
}

const FOUR = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];
const now = () => Number(process.hrtime.bigint());

/** One simulated proxy. */
interface Sim {
  readonly synced: Promise<void>;
  /** Called on an accepted RDS update (armed only). */
  onAccepted: () => void;
  onReceived: () => void;
  close(): void;
}

function fullClient(o: AdsClientsOptions, node: BenchNode): Sim {
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((r) => (markSynced = r));
  const acked = new Set<string>();
  const client = new AdsClient({ target: o.xds, node: { id: node.id, metadata: node.metadata }, onUpdate: () => undefined });
  const sim: Sim = { synced, onAccepted: () => undefined, onReceived: () => undefined, close: () => client.close() };
  client.on('response', (typeUrl) => {
    if (typeUrl === TypeUrl.RouteConfiguration) sim.onReceived();
  });
  client.on('ack', (typeUrl) => {
    acked.add(typeUrl);
    if (FOUR.every((t) => acked.has(t))) markSynced();
    if (typeUrl === TypeUrl.RouteConfiguration) sim.onAccepted();
  });
  client.start();
  return sim;
}

function lightClient(o: AdsClientsOptions, node: BenchNode, names: { eds: string[]; rds: string[] }): Sim {
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((r) => (markSynced = r));
  const seen = new Set<string>();
  const client = new grpc.Client(o.xds, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
  const m = adsServiceDefinition.StreamAggregatedResources;
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize) as grpc.ClientDuplexStream<DiscoveryRequestMessage, DiscoveryResponseMessage>;
  const sim: Sim = {
    synced,
    onAccepted: () => undefined,
    onReceived: () => undefined,
    close: () => {
      call.cancel();
      client.close();
    },
  };
  const namesFor = (typeUrl: string) => (typeUrl === TypeUrl.ClusterLoadAssignment ? names.eds : typeUrl === TypeUrl.RouteConfiguration ? names.rds : []);
  call.on('error', () => undefined);
  call.on('data', (r: DiscoveryResponseMessage) => {
    if (r.typeUrl === TypeUrl.RouteConfiguration) sim.onReceived();
    call.write({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: namesFor(r.typeUrl) });
    seen.add(r.typeUrl);
    if (FOUR.every((t) => seen.has(t))) markSynced();
    if (r.typeUrl === TypeUrl.RouteConfiguration) sim.onAccepted();
  });
  call.write({ node: toNodeMessage({ id: node.id, metadata: node.metadata }), typeUrl: TypeUrl.Cluster, resourceNames: [] });
  call.write({ typeUrl: TypeUrl.Listener, resourceNames: [] });
  call.write({ typeUrl: TypeUrl.ClusterLoadAssignment, resourceNames: names.eds });
  call.write({ typeUrl: TypeUrl.RouteConfiguration, resourceNames: names.rds });
  return sim;
}

async function main(): Promise<void> {
  // Options come in a file: thousands of node identities exceed the size of one argv string.
  const o = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as AdsClientsOptions;
  const names = JSON.parse(readFileSync(o.namesFile, 'utf8')) as { eds: string[]; rds: string[] };
  const t = performance.now();
  const sims: Sim[] = [];
  let syncedCount = 0;
  const progress = setInterval(() => process.stdout.write(`PROGRESS ${JSON.stringify({ started: sims.length, synced: syncedCount })}\n`), 1000);
  for (const n of o.nodes) {
    const sim = o.kind === 'full' ? fullClient(o, n) : lightClient(o, n, names);
    void sim.synced.then(() => syncedCount++);
    sims.push(sim);
    // Ramp: start the next batch a tick later (one batch per 100 ms).
    if (o.rampPerSecond > 0 && sims.length % Math.max(1, Math.round(o.rampPerSecond / 10)) === 0) await new Promise((r) => setTimeout(r, 100));
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`initial sync of ${sims.length} proxies not done within ${o.syncTimeoutMs} ms`)), o.syncTimeoutMs);
  });
  await Promise.race([Promise.all(sims.map((s) => s.synced)), timeout]);
  clearTimeout(timer);
  clearInterval(progress);
  process.stdout.write(`SYNCED ${JSON.stringify({ ms: performance.now() - t, rssMB: process.memoryUsage().rss / 1048576 })}\n`);

  const accepted: (number | undefined)[] = sims.map(() => undefined);
  const received: (number | undefined)[] = sims.map(() => undefined);
  let done = 0;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    const updates: AdsClientsUpdates = {
      accepted: accepted.filter((x): x is number => x !== undefined),
      received: received.filter((x): x is number => x !== undefined),
      missing: accepted.filter((x) => x === undefined).length,
    };
    process.stdout.write(`UPDATES ${JSON.stringify(updates)}\n`);
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line !== 'ARM') return;
    sims.forEach((s, i) => {
      s.onReceived = () => {
        received[i] ??= now();
      };
      s.onAccepted = () => {
        if (accepted[i] !== undefined) return;
        accepted[i] = now();
        if (++done === sims.length) report();
      };
    });
    setTimeout(report, o.updateTimeoutMs).unref();
    process.stdout.write('ARMED\n');
  });
  const stop = () => {
    for (const s of sims) s.close();
    process.exit(0);
  };
  rl.on('close', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`ads-clients-child failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
