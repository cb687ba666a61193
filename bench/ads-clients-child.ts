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
 * Transport: with `certsFile` (the control plane's TLS mode) every proxy dials over mutual TLS with
 * its own workload certificate (`grpc.credentials.createSsl(root, key, chain)`, the server checked
 * as `istiod.istio-system.svc`, as src/security/identity/xds-credentials.ts does), so each has its
 * own connection; without it, plaintext (grpc-js then shares one HTTP/2 connection among the
 * proxies' channels unless `ownConnections`).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { AdsClient } from '../src/xds/ads-client.js';
import { adsServiceDefinition, type DiscoveryRequestMessage, type DiscoveryResponseMessage } from '../src/xds/discovery-service.js';
import { toNodeMessage } from '../src/xds/node-info.js';
import { decodeResource } from '../src/xds/protos.js';
import { TypeUrl } from '../src/envoy/type-url.js';
import { CA_SERVER_NAME } from '../src/security/ca/csr-server.js';
import type { BenchCertificates, BenchNode } from './ads-control-child.js';

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
  /** The change to wait for: an update counts only once the proxy holds it (see {@link ChangeWatch}). */
  readonly watch: ChangeWatch;
  /**
   * HTTP/2 flow-control window of each client's stream and connection (bytes); unset keeps
   * @grpc/grpc-js's 64 KiB. Envoy's default for its xDS stream is 256 MiB (Http2ProtocolOptions
   * initial_stream_window_size), so a large RouteConfiguration is not dribbled out 64 KiB per round trip.
   */
  readonly flowControlWindow?: number;
  /** mTLS: JSON file with the root and each node's key and chain ({@link BenchCertificates}, same order as `nodes`). */
  readonly certsFile?: string;
  /** Plaintext: give every proxy its own HTTP/2 connection (grpc-js's local subchannel pool) instead of one shared one. */
  readonly ownConnections?: boolean;
}

/** How one proxy's channel is secured. */
interface ChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
}

/** Per-node channel security: mTLS with the node's certificate when `certs` is given, else plaintext. */
function channelSecurity(o: AdsClientsOptions, certs: BenchCertificates | undefined, index: number): ChannelSecurity {
  if (!certs) {
    return { credentials: grpc.credentials.createInsecure(), channelOptions: o.ownConnections ? { 'grpc.use_local_subchannel_pool': 1 } : {} };
  }
  const c = certs.nodes[index];
  if (!c) throw new Error(`no certificate for node ${index}`);
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(certs.rootPem), Buffer.from(c.keyPem), Buffer.from(c.chainPem)),
    channelOptions: { 'grpc.ssl_target_name_override': CA_SERVER_NAME, 'grpc.default_authority': CA_SERVER_NAME },
  };
}

/**
 * The applied change as the proxy must see it: RouteConfiguration `route` has virtual host `vhost`
 * whose last route splits traffic with exactly `weights`.
 */
export interface ChangeWatch {
  readonly route: string;
  readonly vhost: string;
  readonly weights: readonly number[];
}

/** The `UPDATES` line's payload: hrtime ns per proxy (NaN-free; missing ones left out). */
export interface AdsClientsUpdates {
  readonly accepted: number[];
  readonly received: number[];
  readonly missing: number;
  /** Proxies whose accepted update was checked to carry the change's weights (decoded). */
  readonly verified: number;
}

/** Weights of the weighted route in `vhost` of a decoded RouteConfiguration, or undefined. */
function weightsIn(routeConfig: unknown, vhost: string): number[] | undefined {
  const rc = routeConfig as { virtualHosts?: { name?: string; routes?: { route?: { weightedClusters?: { clusters?: { weight?: number | { value?: number } }[] } } }[] }[] };
  const vh = rc.virtualHosts?.find((v) => v.name === vhost);
  const weighted = vh?.routes?.map((r) => r.route?.weightedClusters?.clusters).filter((c) => c !== undefined).at(-1);
  return weighted?.map((c) => (typeof c.weight === 'object' ? c.weight?.value ?? 0 : c.weight ?? 0));
}

/** True when a decoded RouteConfiguration carries the watched change. */
function carriesChange(routeConfig: unknown, w: ChangeWatch): boolean {
  const got = weightsIn(routeConfig, w.vhost);
  return !!got && got.length === w.weights.length && got.every((x, i) => x === w.weights[i]);
}

/** `name` (field 1) of an encoded RouteConfiguration, read without decoding the rest. */
function encodedName(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x0a) return undefined;
  let len = 0;
  let shift = 0;
  let i = 1;
  for (; i < bytes.length && i < 6; i++) {
    len += (bytes[i]! & 0x7f) * 2 ** shift;
    shift += 7;
    if ((bytes[i]! & 0x80) === 0) break;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + i + 1, len).toString('utf8');
}

/**
 * Distinct encoded contents of the watched route that light clients accepted after ARM (by
 * SHA-1), decoded once each after the measurement to check they carry the change.
 */
const acceptedContents = new Map<string, Uint8Array>();

const FOUR = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];
const now = () => Number(process.hrtime.bigint());

/** One simulated proxy. */
interface Sim {
  readonly synced: Promise<void>;
  /**
   * Called when the proxy ACKed an RDS update holding the change (armed only); light clients pass
   * the SHA-1 of the watched route's bytes, checked after the measurement.
   */
  onAccepted: (contentKey: string | undefined) => void;
  onReceived: () => void;
  /** True once ARM was received. */
  armed: boolean;
  close(): void;
}

function fullClient(o: AdsClientsOptions, node: BenchNode, sec: ChannelSecurity): Sim {
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((r) => (markSynced = r));
  const acked = new Set<string>();
  // Set by onUpdate (which runs before the ACK) when the RDS update holds the change.
  let holdsChange = false;
  const onUpdate = (typeUrl: string, resources: ReadonlyMap<string, object>) => {
    if (typeUrl === TypeUrl.RouteConfiguration) holdsChange = carriesChange(resources.get(o.watch.route), o.watch);
    return undefined;
  };
  const client = new AdsClient({ target: o.xds, node: { id: node.id, metadata: node.metadata }, onUpdate, credentials: sec.credentials, channelOptions: sec.channelOptions });
  const sim: Sim = { synced, armed: false, onAccepted: () => undefined, onReceived: () => undefined, close: () => client.close() };
  client.on('response', (typeUrl) => {
    if (typeUrl === TypeUrl.RouteConfiguration) sim.onReceived();
  });
  client.on('ack', (typeUrl) => {
    acked.add(typeUrl);
    if (FOUR.every((t) => acked.has(t))) markSynced();
    if (typeUrl === TypeUrl.RouteConfiguration && holdsChange) sim.onAccepted(undefined);
  });
  client.start();
  return sim;
}

function lightClient(o: AdsClientsOptions, node: BenchNode, names: { eds: string[]; rds: string[] }, sec: ChannelSecurity): Sim {
  let markSynced: () => void = () => undefined;
  const synced = new Promise<void>((r) => (markSynced = r));
  const seen = new Set<string>();
  const window = o.flowControlWindow ? { 'grpc-node.flow_control_window': o.flowControlWindow, 'grpc.http2.lookahead_bytes': 0 } : {};
  const client = new grpc.Client(o.xds, sec.credentials, { 'grpc.max_receive_message_length': -1, ...window, ...sec.channelOptions });
  const m = adsServiceDefinition.StreamAggregatedResources;
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize) as grpc.ClientDuplexStream<DiscoveryRequestMessage, DiscoveryResponseMessage>;
  const sim: Sim = {
    synced,
    armed: false,
    onAccepted: () => undefined,
    onReceived: () => undefined,
    close: () => {
      call.cancel();
      client.close();
    },
  };
  const namesFor = (typeUrl: string) => (typeUrl === TypeUrl.ClusterLoadAssignment ? names.eds : typeUrl === TypeUrl.RouteConfiguration ? names.rds : []);
  call.on('error', (err: grpc.ServiceError) => {
    // A refused stream (e.g. its certificate does not match its node) would otherwise only show as a sync timeout.
    if (err.code !== grpc.status.CANCELLED) process.stderr.write(`ads-clients-child: ${node.id}: ${err.message}\n`);
  });
  // SHA-1 of the watched route's bytes as last received: an update that leaves it unchanged is not the change.
  let watchedKey: string | undefined;
  call.on('data', (r: DiscoveryResponseMessage) => {
    let changedKey: string | undefined;
    if (r.typeUrl === TypeUrl.RouteConfiguration) {
      sim.onReceived();
      for (const a of r.resources) {
        if (encodedName(a.value) !== o.watch.route) continue;
        const key = createHash('sha1').update(a.value).digest('base64');
        if (key !== watchedKey) {
          changedKey = key;
          watchedKey = key;
          if (sim.armed && !acceptedContents.has(key)) acceptedContents.set(key, a.value);
        }
      }
    }
    call.write({ typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: namesFor(r.typeUrl) });
    seen.add(r.typeUrl);
    if (FOUR.every((t) => seen.has(t))) markSynced();
    if (changedKey) sim.onAccepted(changedKey);
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
  const certs = o.certsFile ? (JSON.parse(readFileSync(o.certsFile, 'utf8')) as BenchCertificates) : undefined;
  const t = performance.now();
  const sims: Sim[] = [];
  let syncedCount = 0;
  const progress = setInterval(() => process.stdout.write(`PROGRESS ${JSON.stringify({ started: sims.length, synced: syncedCount })}\n`), 1000);
  for (const [i, n] of o.nodes.entries()) {
    const sec = channelSecurity(o, certs, i);
    const sim = o.kind === 'full' ? fullClient(o, n, sec) : lightClient(o, n, names, sec);
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
  const contentOf: (string | undefined)[] = sims.map(() => undefined);
  let done = 0;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    // After the measurement: decode each distinct accepted content once; a proxy whose accepted
    // route lacks the change counts as missing (full clients were checked before their ACK).
    const good = new Map<string, boolean>();
    for (const [key, bytes] of acceptedContents) good.set(key, carriesChange(decodeResource(TypeUrl.RouteConfiguration, bytes), o.watch));
    const ok = accepted.map((x, i) => x !== undefined && (contentOf[i] === undefined || good.get(contentOf[i]!) === true));
    const updates: AdsClientsUpdates = {
      accepted: accepted.filter((x, i): x is number => x !== undefined && ok[i]!),
      received: received.filter((x): x is number => x !== undefined),
      missing: ok.filter((x) => !x).length,
      verified: ok.filter((x) => x).length,
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
      s.armed = true;
      s.onAccepted = (key) => {
        if (accepted[i] !== undefined) return;
        accepted[i] = now();
        contentOf[i] = key;
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
