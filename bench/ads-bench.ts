/**
 * ADS push benchmark (issue 3; design.md §8b): a mesh of 1,000 services × 10 endpoints
 * (mesh-generator.ts) in a control plane child process, N simulated proxies in another child
 * (bench/ads-clients-child.ts), then one config change — a VirtualService weight change applied
 * through the config store, as `weft apply` does — and, per proxy, the time from the apply call
 * to the proxy's accepted RouteConfiguration update. Reports p50/p99/max, the control plane's CPU
 * during the push, its steady CPU with all proxies connected, and its RSS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMeshYaml } from './mesh-generator.js';
import type { AdsControlOptions, AdsControlReady, AdsTransport } from './ads-control-child.js';
import type { AdsClientsOptions, AdsClientsUpdates } from './ads-clients-child.js';
import { removeTempDir, tempDir } from './lib/cleanup.js';
import { cpuMark, foreignCores, loadLine } from './lib/machine-cpu.js';
import { cpuSeconds, rssMB, statusMB } from './lib/proc-stats.js';
import { ProcessGroup } from './lib/processes.js';
import { percentile } from './lib/stats.js';

/** One scenario: which control plane, which clients, how many. */
export interface AdsScenario {
  readonly mode: AdsControlOptions['mode'];
  readonly kind: AdsClientsOptions['kind'];
  readonly clients: number;
  /** Proxies connecting per second (0: all at once). */
  readonly rampPerSecond: number;
  /**
   * ADS transport: `tls` (mTLS with a mesh CA workload certificate per proxy on the CA's port, as
   * shipped; the default in `control-plane` mode) or `plain` (the plaintext debug port; the only
   * one in `shared` mode).
   */
  readonly transport: AdsTransport;
  /** Plaintext only: one HTTP/2 connection per proxy instead of the one grpc-js shares among them (TLS always has one each). */
  readonly ownConnections?: boolean;
}

/** Settings of one benchmark run. */
export interface AdsBenchSettings {
  readonly quick: boolean;
  readonly services: number;
  readonly replicas: number;
  readonly scenarios: readonly AdsScenario[];
  readonly syncTimeoutMs: number;
  readonly updateTimeoutMs: number;
  readonly steadySeconds: number;
  /** Wait after the initial sync before steady CPU is measured (s). */
  readonly quietSeconds: number;
  /** V8 heap limit of both children (MB). */
  readonly heapMB: number;
  /** A scenario stops when the two children together pass this RSS (MB) or the machine runs low on memory. */
  readonly memoryLimitMB: number;
}

/** The transport a scenario runs with when it names none: `tls` for `control-plane` (what ships), `plain` for `shared`. */
export function defaultTransport(mode: AdsScenario['mode']): AdsTransport {
  return mode === 'control-plane' ? 'tls' : 'plain';
}

/**
 * Scenarios from `WEFT_BENCH_ADS_SCENARIOS`: comma-separated
 * `mode:kind:clients[:rampPerSecond][:tls|plain|plain-conn]`, e.g. `control-plane:full:100`,
 * `control-plane:light:100:plain`, `control-plane:light:2000:25:tls`; `plain-conn` is plaintext
 * with one connection per proxy. Without a transport, `control-plane` runs over TLS and `shared`
 * over plaintext. Undefined when unset (the default list applies).
 */
export function scenariosFromEnv(value = process.env['WEFT_BENCH_ADS_SCENARIOS']): AdsScenario[] | undefined {
  if (!value) return undefined;
  return value.split(',').map((item) => {
    const [mode, kind, clients, ...rest] = item.trim().split(':');
    const bad = () => new Error(`WEFT_BENCH_ADS_SCENARIOS: bad scenario ${JSON.stringify(item)} (want mode:kind:clients[:rampPerSecond][:tls|plain|plain-conn])`);
    if ((mode !== 'control-plane' && mode !== 'shared') || (kind !== 'full' && kind !== 'light') || !(Number(clients) > 0)) throw bad();
    let ramp = 0;
    let transport: AdsTransport | undefined;
    let ownConnections = false;
    for (const [i, x] of rest.entries()) {
      if (i === 0 && /^\d+$/.test(x)) ramp = Number(x);
      else if (i === rest.length - 1 && (x === 'tls' || x === 'plain' || x === 'plain-conn') && transport === undefined) {
        transport = x === 'tls' ? 'tls' : 'plain';
        ownConnections = x === 'plain-conn';
      } else throw bad();
    }
    transport ??= defaultTransport(mode);
    if (mode === 'shared' && transport === 'tls') throw new Error(`WEFT_BENCH_ADS_SCENARIOS: ${JSON.stringify(item)}: mode shared has no TLS (it runs no CA)`);
    return { mode, kind, clients: Number(clients), rampPerSecond: ramp, transport, ...(ownConnections ? { ownConnections } : {}) };
  });
}

/** Full settings, or short ones (`WEFT_BENCH_QUICK=1`); `WEFT_BENCH_ADS_SCENARIOS` replaces the scenario list. */
export function adsBenchSettings(quick: boolean): AdsBenchSettings {
  const settings = defaultSettings(quick);
  const scenarios = scenariosFromEnv();
  return scenarios ? { ...settings, scenarios } : settings;
}

function defaultSettings(quick: boolean): AdsBenchSettings {
  return quick
    ? {
        quick, services: 1000, replicas: 10,
        scenarios: [
          { mode: 'control-plane', kind: 'light', clients: 10, rampPerSecond: 0, transport: 'tls' },
          { mode: 'control-plane', kind: 'full', clients: 10, rampPerSecond: 0, transport: 'tls' },
          { mode: 'control-plane', kind: 'light', clients: 200, rampPerSecond: 200, transport: 'tls' },
        ],
        syncTimeoutMs: 120_000, updateTimeoutMs: 60_000, steadySeconds: 2, quietSeconds: 1, heapMB: 12_288, memoryLimitMB: 4096,
      }
    : {
        quick, services: 1000, replicas: 10,
        scenarios: [
          { mode: 'control-plane', kind: 'light', clients: 100, rampPerSecond: 0, transport: 'tls' },
          { mode: 'control-plane', kind: 'full', clients: 100, rampPerSecond: 0, transport: 'tls' },
          // ~7 MB of first config per proxy (CDS 2.9, EDS 3.0, RDS 1.2): a faster ramp outruns the one clients process and the
          // control plane holds the unsent responses in memory.
          { mode: 'control-plane', kind: 'light', clients: 2000, rampPerSecond: 25, transport: 'tls' },
        ],
        syncTimeoutMs: 600_000, updateTimeoutMs: 300_000, steadySeconds: 5, quietSeconds: 15, heapMB: 12_288, memoryLimitMB: 16_384,
      };
}

/** Latency percentiles in ms. */
export interface LatencyStats {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What one scenario measured. */
export interface AdsScenarioResult {
  readonly scenario: AdsScenario;
  readonly ok: boolean;
  readonly error?: string;
  readonly services?: number;
  readonly endpoints?: number;
  readonly clusters?: number;
  readonly controlStartMs?: number;
  /** TLS: time the control plane child took to issue the proxies' certificates (part of `controlStartMs`). */
  readonly certIssueMs?: number;
  readonly syncMs?: number;
  readonly clientsRssMB?: number;
  readonly accepted?: LatencyStats;
  readonly received?: LatencyStats;
  readonly missing?: number;
  /** Proxies whose accepted RouteConfiguration was decoded and found to carry the new weights. */
  readonly verified?: number;
  readonly cpRssSyncedMB?: number;
  readonly cpRssAfterMB?: number;
  readonly cpHwmMB?: number;
  /** CP CPU seconds from the apply until the last proxy accepted. */
  readonly cpPushCpuS?: number;
  /** CP cores used while idle with every proxy connected. */
  readonly cpSteadyCores?: number;
  /** CP cores used during initial sync. */
  readonly cpSyncCpuS?: number;
  readonly foreign?: number;
  readonly pushStats?: Record<string, number>;
}

/** Everything the ADS benchmark measured. */
export interface AdsBenchResult {
  readonly settings: AdsBenchSettings;
  readonly results: readonly AdsScenarioResult[];
  readonly loadAtStart: string;
  readonly elapsedSeconds: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The VirtualService change: svc0's 90/10 split becomes `v1`/`v2` (mesh-generator.ts's shape). */
export function weightChangeYaml(v1: number, v2: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc0, namespace: ns0}
spec:
  hosts: [svc0]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: svc0, subset: v2}
  - route:
    - destination: {host: svc0, subset: v1}
      weight: ${v1}
    - destination: {host: svc0, subset: v2}
      weight: ${v2}
    timeout: 5s
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
`;
}

/** What the clients check for: svc0's 80/20 split in the sidecar route config of port 8080. */
const CHANGE_WATCH = { route: '8080', vhost: 'svc0.ns0.svc.cluster.local:8080', weights: [80, 20] } as const;

/** Envoy's default HTTP/2 stream window for its xDS gRPC stream (256 MiB). */
const ENVOY_STREAM_WINDOW = 256 * 1024 * 1024;

function stats(ns: readonly number[], t0: number): LatencyStats {
  const ms = ns.map((x) => (x - t0) / 1e6);
  return { count: ms.length, p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms) };
}

/** The last `PROGRESS` payload a clients child printed. */
function lastProgress(stdout: string): string {
  const i = stdout.lastIndexOf('PROGRESS ');
  if (i < 0) return 'no progress reported';
  const p = JSON.parse(stdout.slice(i + 9, stdout.indexOf('\n', i))) as { started: number; synced: number };
  return `${p.started} proxies connected, ${p.synced} synced`;
}

/** MemAvailable of the machine (MiB). */
function memAvailableMB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : Infinity;
}

/**
 * Polls the children's RSS; `tripped` rejects once together they pass `limitMB` or the machine
 * has less than 2 GiB available (the machine is shared: never push it into the OOM killer).
 */
function memoryGuard(limitMB: number, cpPid: number, clientsPid: number, progress: () => string): { tripped: Promise<never>; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const tripped = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const cp = rssMB(cpPid);
      const total = cp + rssMB(clientsPid);
      const avail = memAvailableMB();
      if (total > limitMB || avail < 2048) {
        clearInterval(timer);
        reject(new Error(`stopped: control plane RSS ${cp.toFixed(0)} MB, clients ${(total - cp).toFixed(0)} MB, machine ${avail.toFixed(0)} MB available (limit ${limitMB} MB for both) with ${progress()}`));
      }
    }, 250);
  });
  tripped.catch(() => undefined);
  return { tripped, stop: () => clearInterval(timer) };
}

async function runScenario(s: AdsScenario, settings: AdsBenchSettings, meshDir: string, log: (l: string) => void): Promise<AdsScenarioResult> {
  const group = new ProcessGroup({ available: false });
  const work = tempDir('ads-work');
  const heap = `--max-old-space-size=${settings.heapMB}`;
  const label = `${s.mode}/${s.kind}/${s.clients}/${s.transport}${s.ownConnections ? '-conn' : ''}`;
  try {
    const cpuProfileDir = process.env['WEFT_BENCH_ADS_CPUPROF'] || undefined;
    const copts: AdsControlOptions = { mode: s.mode, transport: s.transport, dir: meshDir, nodes: s.clients, workDir: work, ...(cpuProfileDir ? { cpuProfileDir } : {}) };
    const cp = group.start(process.execPath, [heap, '--expose-gc', path.join(HERE, 'ads-control-child.js'), JSON.stringify(copts)], { name: 'ads control plane' });
    const ready = JSON.parse((await cp.waitForLine((l) => l.startsWith('READY '), 120_000)).slice(6)) as AdsControlReady;
    log(`bench ads: ${label}: control plane up in ${ready.startMs.toFixed(0)} ms (${ready.services} services, ${ready.endpoints} endpoints, ${ready.clusters} clusters per sidecar)`);
    const cpuAtConnect = cpuSeconds(cp.pid);
    const kopts: AdsClientsOptions = {
      kind: s.kind, xds: ready.xds, nodes: ready.nodes, namesFile: ready.namesFile, syncTimeoutMs: settings.syncTimeoutMs, updateTimeoutMs: settings.updateTimeoutMs, rampPerSecond: s.rampPerSecond,
      watch: CHANGE_WATCH, ...(s.kind === 'light' ? { flowControlWindow: ENVOY_STREAM_WINDOW } : {}),
      ...(ready.certsFile ? { certsFile: ready.certsFile } : {}),
      ...(s.ownConnections ? { ownConnections: true } : {}),
    };
    if (s.transport === 'tls' && !ready.certsFile) throw new Error('transport tls but the control plane issued no certificates');
    const argsFile = path.join(work, 'clients.json');
    writeFileSync(argsFile, JSON.stringify(kopts));
    const clients = group.start(process.execPath, [heap, path.join(HERE, 'ads-clients-child.js'), argsFile], { name: 'ads clients' });
    const guard = memoryGuard(settings.memoryLimitMB, cp.pid, clients.pid, () => lastProgress(clients.stdout()));
    let synced: { ms: number; rssMB: number };
    try {
      synced = JSON.parse((await Promise.race([clients.waitForLine((l) => l.startsWith('SYNCED '), settings.syncTimeoutMs + 10_000), guard.tripped])).slice(7)) as { ms: number; rssMB: number };
    } finally {
      guard.stop();
    }
    const cpSyncCpuS = cpuSeconds(cp.pid) - cpuAtConnect;
    log(`bench ads: ${label}: initial sync of ${s.clients} proxies in ${synced.ms.toFixed(0)} ms`);
    // Quiet period (the collection of the initial sync's garbage runs in it), then steady CPU with every proxy connected.
    await sleep(settings.quietSeconds * 1000);
    const steadyFrom = cpuSeconds(cp.pid);
    await sleep(settings.steadySeconds * 1000);
    const cpSteadyCores = (cpuSeconds(cp.pid) - steadyFrom) / settings.steadySeconds;
    const cpRssSyncedMB = rssMB(cp.pid);

    clients.proc.stdin!.write('ARM\n');
    await clients.waitForLine((l) => l === 'ARMED', 10_000);
    const change = path.join(work, 'change.yaml');
    writeFileSync(change, weightChangeYaml(80, 20));
    const mark = cpuMark(cpuSeconds(cp.pid) + cpuSeconds(clients.pid));
    const cpuBefore = cpuSeconds(cp.pid);
    const updatesLine = clients.waitForLine((l) => l.startsWith('UPDATES '), settings.updateTimeoutMs + 30_000);
    cp.proc.stdin!.write(`APPLY ${change}\n`);
    const applied = await cp.waitForLine((l) => l.startsWith('APPLIED ') || l.startsWith('FAILED '), 30_000);
    if (applied.startsWith('FAILED')) throw new Error(applied);
    const t0 = Number(applied.slice(8));
    const updates = JSON.parse((await updatesLine).slice(8)) as AdsClientsUpdates;
    const cpPushCpuS = cpuSeconds(cp.pid) - cpuBefore;
    const foreign = foreignCores(mark, cpuMark(cpuSeconds(cp.pid) + cpuSeconds(clients.pid)));
    cp.proc.stdin!.write('PUSHSTATS\n');
    const pushStats = JSON.parse((await cp.waitForLine((l) => l.startsWith('PUSHSTATS '), 10_000)).slice(10)) as Record<string, number>;
    const result: AdsScenarioResult = {
      scenario: s, ok: updates.missing === 0,
      error: updates.missing ? `${updates.missing} of ${s.clients} proxies had no update within ${settings.updateTimeoutMs} ms` : undefined,
      services: ready.services, endpoints: ready.endpoints, clusters: ready.clusters, controlStartMs: ready.startMs, certIssueMs: ready.issueMs,
      syncMs: synced.ms, clientsRssMB: rssMB(clients.pid),
      accepted: stats(updates.accepted, t0), received: stats(updates.received, t0), missing: updates.missing, verified: updates.verified,
      cpRssSyncedMB, cpRssAfterMB: rssMB(cp.pid), cpHwmMB: statusMB(cp.pid, 'VmHWM'), cpPushCpuS, cpSteadyCores, cpSyncCpuS, foreign, pushStats,
    };
    log(`bench ads: ${label}: accepted p50 ${result.accepted!.p50.toFixed(0)} p99 ${result.accepted!.p99.toFixed(0)} max ${result.accepted!.max.toFixed(0)} ms (${updates.verified} checked); CP push ${cpPushCpuS.toFixed(2)} CPU-s; sync ${synced.ms.toFixed(0)} ms (CP ${cpSyncCpuS.toFixed(2)} CPU-s); CP RSS ${result.cpRssAfterMB!.toFixed(0)} MB (peak ${result.cpHwmMB!.toFixed(0)}); other processes ${foreign.toFixed(2)} cores`);
    return result;
  } catch (err) {
    log(`bench ads: ${label}: ${(err as Error).message.split('\n')[0]}`);
    return { scenario: s, ok: false, error: (err as Error).message.split('\n')[0] };
  } finally {
    await group.stopAll(10_000);
    removeTempDir(work);
  }
}

/** Runs every scenario of `settings` in turn. */
export async function runAdsBench(settings: AdsBenchSettings, log: (line: string) => void): Promise<AdsBenchResult> {
  const started = performance.now();
  const loadAtStart = loadLine();
  const meshDir = tempDir('ads-mesh');
  try {
    writeFileSync(path.join(meshDir, 'mesh.yaml'), generateMeshYaml({ services: settings.services, replicas: settings.replicas, namespaces: 10 }));
    const results: AdsScenarioResult[] = [];
    for (const s of settings.scenarios) results.push(await runScenario(s, settings, meshDir, log));
    return { settings, results, loadAtStart, elapsedSeconds: (performance.now() - started) / 1000 };
  } finally {
    removeTempDir(meshDir);
  }
}
