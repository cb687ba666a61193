/**
 * Child process of the ADS benchmark: the control plane under test, alone in its process so its
 * CPU and RSS can be read from /proc. Modes (argv[2] JSON):
 * - `control-plane`: Weft's `ControlPlane` as shipped (store → snapshot → translate per proxy → ADS).
 * - `shared`: the same store and snapshot, an `AdsServer` whose provider translates once per
 *   snapshot for one representative sidecar and serves that to every proxy (as replicas of one
 *   workload would get) — the ADS distribution layer's cost without per-proxy translation.
 * Transport (`transport`, `control-plane` mode only): `tls` (as shipped) runs the control plane with
 * its mesh CA (`ca: {port: 0}`, state in a temp directory) and serves ADS only on the CA's mTLS port;
 * the child then issues one workload certificate per node (a fresh P-256 key, the CA's `issue` for
 * the node's SPIFFE identity `spiffe://<trust domain>/ns/<ns>/sa/<sa>`, which is what the node claims
 * and what the registry's pod runs as) and writes them with the root to a file for the clients.
 * `plain` serves ADS on the plaintext debug port (`insecureXdsPort`), as before the xDS work.
 * Prints `READY {json}` (ADS address, node identities for the clients, the EDS/RDS names a sidecar
 * subscribes to, in a file, and with TLS the certificate file). Reads commands on stdin: `APPLY <file>` applies the YAML file through
 * the config store (as `weft apply` does) and prints `APPLIED <t0>` with t0 = process.hrtime in ns
 * taken just before; `PUSHSTATS` prints `PUSHSTATS {json}` (push timings in `shared` mode, and
 * heap/external memory after a forced GC).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Session } from 'node:inspector/promises';
import { ControlPlane, proxyNodeFrom } from '../src/control/control-plane.js';
import { ConfigStore } from '../src/control/config-store.js';
import { buildSnapshot, type MeshSnapshot } from '../src/model/snapshot.js';
import type { PodIdentity } from '../src/registry/build-registry.js';
import { translate, type XdsResources } from '../src/translate/translate.js';
import { AdsServer, type ProxyResources } from '../src/xds/ads-server.js';
import { edsNames, rdsNames } from '../src/xds/ads-dependencies.js';
import { parseNode, toNodeMessage, type JsonValue } from '../src/xds/node-info.js';
import { TypeUrl } from '../src/envoy/type-url.js';
import { generateP256, privateKeyToPem } from '../src/security/ca/keys.js';
import type { CertificateAuthority } from '../src/security/ca/certificate-authority.js';
import { formatSpiffeId } from '../src/security/identity/spiffe.js';

/** How the clients reach ADS: mTLS on the CA's port (as shipped), or the plaintext debug port. */
export type AdsTransport = 'tls' | 'plain';

/** The certificate file's content (TLS transport): the mesh root and, per node (same order), its key and chain. */
export interface BenchCertificates {
  readonly rootPem: string;
  readonly nodes: readonly { readonly keyPem: string; readonly chainPem: string }[];
}

/** Options from the parent. */
export interface AdsControlOptions {
  readonly mode: 'control-plane' | 'shared';
  /** ADS transport (default `plain`; `tls` only in `control-plane` mode). */
  readonly transport?: AdsTransport;
  /** Directory with the mesh YAML (watched). */
  readonly dir: string;
  /** Node identities to hand out (distinct pods of the mesh). */
  readonly nodes: number;
  /** Where to write the names file (not the watched directory). */
  readonly workDir: string;
  /**
   * When set, CPU profiles are written to this directory: `sync-…` from READY to the APPLY command
   * (the clients' initial sync, the quiet and the steady windows) and `push-…` from APPLY to PUSHSTATS.
   */
  readonly cpuProfileDir?: string;
}

/** A proxy identity for the clients. */
export interface BenchNode {
  readonly id: string;
  readonly metadata: Record<string, JsonValue>;
}

/** The `READY` line's payload. */
export interface AdsControlReady {
  readonly xds: string;
  readonly nodes: readonly BenchNode[];
  /** JSON file with `{eds: string[], rds: string[]}` as a sidecar of the mesh subscribes. */
  readonly namesFile: string;
  readonly services: number;
  readonly endpoints: number;
  readonly clusters: number;
  readonly startMs: number;
  /** TLS transport: JSON file with {@link BenchCertificates}. */
  readonly certsFile?: string;
  /** TLS transport: time spent issuing the node certificates (ms, included in `startMs`). */
  readonly issueMs?: number;
}

/** Per-proxy resources map from a translation. */
function toProxyResources(out: XdsResources): ProxyResources {
  const byName = <T extends { name?: string; clusterName?: string }>(list: readonly T[]) => new Map(list.map((r) => [r.name ?? r.clusterName ?? '', r as object]));
  return new Map([
    [TypeUrl.Listener, byName(out.listeners)],
    [TypeUrl.RouteConfiguration, byName(out.routes)],
    [TypeUrl.Cluster, byName(out.clusters)],
    [TypeUrl.ClusterLoadAssignment, byName(out.endpoints)],
  ]);
}

function podAllocator(): (pod: PodIdentity) => string {
  let next = 0;
  const addr = new Map<string, string>();
  return (pod) => {
    const key = `${pod.namespace}/${pod.name}`;
    let a = addr.get(key);
    if (!a) {
      next++;
      a = `127.79.${(next >> 8) & 255}.${next & 255}`;
      addr.set(key, a);
    }
    return a;
  };
}

/** Distinct pods, spread evenly over the mesh, as proxy identities. */
function pickNodes(snapshot: MeshSnapshot, n: number): BenchNode[] {
  const pods = snapshot.registry.workloads.filter((w) => w.address);
  const count = Math.min(n, pods.length);
  return Array.from({ length: count }, (_, k) => {
    const w = pods[Math.floor((k * pods.length) / count)]!;
    return {
      id: `sidecar~${w.address}~${w.name}.${w.namespace}~${w.namespace}.svc.cluster.local`,
      metadata: { NAMESPACE: w.namespace, LABELS: { ...w.labels }, SERVICE_ACCOUNT: w.serviceAccount ?? 'default', WORKLOAD_NAME: w.name },
    };
  });
}

interface Running {
  readonly xds: string;
  /** The mesh CA (TLS transport). */
  readonly ca?: CertificateAuthority;
  apply(text: string): Promise<void>;
  snapshot(): MeshSnapshot;
  pushStats(): Record<string, number>;
}

async function startControlPlane(o: AdsControlOptions): Promise<Running> {
  const tls = o.transport === 'tls';
  const stateDir = path.join(o.workDir, 'ca-state');
  if (tls) mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // TLS: ADS only on the CA's mTLS port (as shipped); plain: only on the plaintext debug port.
  const cp = new ControlPlane({
    store: { watchDir: o.dir },
    httpPort: 0,
    podAddress: podAllocator(),
    ...(tls ? { ca: { port: 0, stateDir } } : { insecureXdsPort: 0 }),
    log: (l) => process.stderr.write(`ads-control-child: ${l}\n`),
  });
  const started = await cp.start();
  const xdsPort = tls ? started.xdsPort : started.insecureXdsPort;
  return {
    xds: `127.0.0.1:${xdsPort}`,
    ...(tls ? { ca: cp.ca!.ca } : {}),
    apply: async (text) => {
      const r = await cp.store.apply([{ file: 'change.yaml', text }]);
      if (!r.ok) throw new Error(`apply failed: ${JSON.stringify(r.diagnostics)}`);
    },
    snapshot: () => cp.current(),
    pushStats: () => ({}),
  };
}

async function startShared(o: AdsControlOptions, representative: () => BenchNode): Promise<Running> {
  const store = new ConfigStore({ watchDir: o.dir });
  await store.start();
  const podAddress = podAllocator();
  let version = 0;
  const build = (resources: Parameters<typeof buildSnapshot>[0]['resources']) => buildSnapshot({ resources, version: String(++version), registry: { podAddress } });
  let snapshot = build(store.resources());
  let cache: { version: string; resources: ProxyResources } | undefined;
  const stats = { translations: 0, lastTranslateMs: 0, lastPushMs: 0 };
  const server = new AdsServer({
    port: 0,
    provider: {
      resourcesFor: () => {
        if (cache?.version === snapshot.version) return cache.resources;
        const node = proxyNodeFrom(parseNode(toNodeMessage(representative())))!;
        const t = performance.now();
        cache = { version: snapshot.version, resources: toProxyResources(translate(snapshot, node)) };
        stats.translations++;
        stats.lastTranslateMs = performance.now() - t;
        return cache.resources;
      },
    },
  });
  await server.start();
  store.subscribe((resources) => {
    snapshot = build(resources);
    const t = performance.now();
    server.push();
    stats.lastPushMs = performance.now() - t;
  });
  return {
    xds: server.address,
    apply: async (text) => {
      const r = await store.apply([{ file: 'change.yaml', text }]);
      if (!r.ok) throw new Error(`apply failed: ${JSON.stringify(r.diagnostics)}`);
    },
    snapshot: () => snapshot,
    pushStats: () => ({ ...stats }),
  };
}

/**
 * One workload certificate per node, issued by `ca` for the identity the node claims (its
 * NAMESPACE and SERVICE_ACCOUNT metadata; pickNodes takes both from the registry's pod), written
 * with the root to `file`. What `weft up` gets through the CSR service, minus the CSR round trip.
 */
async function issueCertificates(ca: CertificateAuthority, nodes: readonly BenchNode[], file: string): Promise<void> {
  const out: { keyPem: string; chainPem: string }[] = [];
  for (const n of nodes) {
    const keys = await generateP256();
    const identity = { trustDomain: ca.trustDomain, namespace: String(n.metadata['NAMESPACE']), serviceAccount: String(n.metadata['SERVICE_ACCOUNT']) };
    const issued = await ca.issue({ publicKey: keys.publicKey, uris: [formatSpiffeId(identity)] });
    out.push({ keyPem: await privateKeyToPem(keys.privateKey), chainPem: issued.chainPems.join('') });
  }
  const certs: BenchCertificates = { rootPem: ca.rootCertPem, nodes: out };
  writeFileSync(file, JSON.stringify(certs), { mode: 0o600 });
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as AdsControlOptions;
  if (o.transport === 'tls' && o.mode !== 'control-plane') throw new Error(`transport tls needs mode control-plane (got ${o.mode})`);
  const t = performance.now();
  let nodes: BenchNode[] = [];
  const running = o.mode === 'shared' ? await startShared(o, () => nodes[0]!) : await startControlPlane(o);
  const snapshot = running.snapshot();
  nodes = pickNodes(snapshot, o.nodes);
  const rep = proxyNodeFrom(parseNode(toNodeMessage(nodes[0]!)))!;
  const out = translate(snapshot, rep);
  const namesFile = path.join(o.workDir, 'names.json');
  writeFileSync(namesFile, JSON.stringify({ eds: edsNames(out.clusters), rds: rdsNames(out.listeners) }));
  let certsFile: string | undefined;
  let issueMs: number | undefined;
  if (running.ca) {
    const ti = performance.now();
    certsFile = path.join(o.workDir, 'certs.json');
    await issueCertificates(running.ca, nodes, certsFile);
    issueMs = performance.now() - ti;
  }
  const ready: AdsControlReady = {
    xds: running.xds,
    nodes,
    namesFile,
    services: snapshot.registry.services.length,
    endpoints: snapshot.registry.workloads.length,
    clusters: out.clusters.length,
    startMs: performance.now() - t,
    ...(certsFile ? { certsFile, issueMs } : {}),
  };
  const startProfiler = async (): Promise<Session> => {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    return session;
  };
  const stopProfiler = async (session: Session, what: string): Promise<void> => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(o.cpuProfileDir!, `${what}-${o.mode}-${o.transport ?? 'plain'}-${o.nodes}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
  let syncProfiler = o.cpuProfileDir ? await startProfiler() : undefined;
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
  const rl = createInterface({ input: process.stdin });
  let profiler: Session | undefined;
  rl.on('line', async (line) => {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'APPLY') {
      const text = readFileSync(arg!, 'utf8');
      if (syncProfiler) {
        await stopProfiler(syncProfiler, 'sync');
        syncProfiler = undefined;
      }
      if (o.cpuProfileDir) profiler = await startProfiler();
      const t0 = process.hrtime.bigint();
      running.apply(text).then(
        () => process.stdout.write(`APPLIED ${t0}\n`),
        (err: Error) => process.stdout.write(`FAILED ${err.message}\n`),
      );
    } else if (cmd === 'PUSHSTATS') {
      if (profiler) {
        await stopProfiler(profiler, 'push');
        profiler = undefined;
      }
      // Heap figures after a full GC (when --expose-gc), to tell retained memory from freed-but-kept RSS.
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      const mb = (b: number) => Math.round(b / 1048576);
      process.stdout.write(`PUSHSTATS ${JSON.stringify({ ...running.pushStats(), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers), rssAfterGcMB: mb(m.rss) })}\n`);
    }
  });
  rl.on('close', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`ads-control-child failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
