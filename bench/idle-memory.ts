/**
 * Idle sidecar memory with 1,000 services of config (design.md §8b: ≤ 50 MB RSS). Starts an
 * in-process control plane over the generated mesh (mesh-generator.ts: 1000 services × 10
 * endpoints in 10 namespaces), then one sidecar per variant in a child process
 * (idle-memory-child.ts, the same `startProxy` as `weft proxy`), waits until it holds every
 * cluster and load assignment, lets it settle and reads VmRSS/VmHWM from /proc and the child's
 * own heap figures. Also measures the floor: an empty `node` and `node` with only the modules a
 * proxy loads at start.
 *
 * Standalone: `node dist/bench/idle-memory.js [--variant 'NAME=[ENV=value…] [--node-flag…]']… [--settle SECONDS]
 * [--snapshot DIR]` (heap snapshot and smaps of each variant), or with `--throughput [--rounds N]`
 * the request-path cost of each variant's flags instead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMeshYaml } from './mesh-generator.js';
import { sequentialPodAddresses, startControlPlane } from './proxy-mesh.js';
import { ProcessGroup, type Child } from './lib/processes.js';
import { cpuSeconds, statusMB } from './lib/proc-stats.js';
import { BODY_PATH, freePort, startNginx, upstreamConfig } from './lib/nginx.js';
import { runWrk, writeWrkScript } from './lib/wrk.js';
import { corePlan } from './lib/tools.js';
import { PROXY_CHILD, type ProxyProcess } from './proxy-mesh.js';
import type { ProxyChildOptions, ProxyChildReady } from './proxy-child.js';
import type { IdleChildOptions, IdleChildStats } from './idle-memory-child.js';
import { PROXY_NODE_FLAGS } from '../src/proxy/node-flags.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'idle-memory-child.js');
const REPO_ROOT = path.join(HERE, '../..');

/** One way of starting the sidecar: a label and the node flags it runs with. */
export interface IdleVariant {
  readonly name: string;
  readonly nodeFlags: readonly string[];
  /** Extra environment of the child (e.g. `MALLOC_ARENA_MAX`). */
  readonly env?: Readonly<Record<string, string>>;
}

/** `--flag …` and `NAME=value` words (upper-case names are environment variables) as a variant. */
export function parseVariant(text: string): IdleVariant {
  const eq = text.indexOf('=');
  const env: Record<string, string> = {};
  const nodeFlags: string[] = [];
  for (const w of text.slice(eq + 1).split(/\s+/).filter(Boolean)) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w);
    if (m) env[m[1]!] = m[2]!;
    else nodeFlags.push(w);
  }
  return { name: text.slice(0, eq), nodeFlags, ...(Object.keys(env).length ? { env } : {}) };
}

function describeVariant(v: IdleVariant): string {
  const env = Object.entries(v.env ?? {}).map(([k, x]) => `${k}=${x}`);
  return [...env, ...v.nodeFlags].join(' ') || '(none)';
}

/** `weft proxy` itself (bin/weft, as `weft up` starts it) with the proxy node flags: RSS only. */
export interface CliSidecarResult {
  readonly command: string;
  readonly rssMB: number;
  readonly hwmMB: number;
  readonly rssAnonMB: number;
  readonly rssFileMB: number;
}

/** What one variant measured. */
export interface IdleVariantResult {
  readonly variant: IdleVariant;
  readonly readyMs: number;
  /** Child's own figures once settled. */
  readonly settled: IdleChildStats;
  /** After a forced full GC (only with `--expose-gc` in the flags). */
  readonly afterGc: IdleChildStats | undefined;
}

/** The whole run. */
export interface IdleMemoryResult {
  readonly services: number;
  readonly endpoints: number;
  readonly clusters: number;
  readonly loadAssignments: number;
  /** RSS of `node -e 0`, of `node` with the proxy's modules loaded, and after `envoyRoot()`. */
  readonly floor: { emptyNodeMB: number; proxyModulesMB: number; proxyModulesHeapMB: number; proxyModulesWithFlagsMB: number; grpcMB: number; grpcEnvoyTypesMB: number };
  readonly results: IdleVariantResult[];
  readonly settleSeconds: number;
  readonly cli: CliSidecarResult | undefined;
}

/** The default variants: what `weft proxy` runs (its node flags) and plain `node`. */
export function defaultIdleVariants(): IdleVariant[] {
  return [
    { name: 'weft proxy flags', nodeFlags: [...PROXY_NODE_FLAGS] },
    { name: 'no flags', nodeFlags: [] },
  ];
}

/** The flag variants whose request-path cost is measured: plain node first (the reference). */
export function defaultFlagVariants(): IdleVariant[] {
  return [{ name: 'no flags', nodeFlags: [] }, { name: 'weft proxy flags', nodeFlags: [...PROXY_NODE_FLAGS] }];
}

const WEFT_BIN = path.join(HERE, '../../bin/weft.js');

/** A `kB` field of /proc/<pid>/status in MiB (0 when unavailable). */
function procStatusMB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function ask(child: Child, cmd: string): Promise<IdleChildStats> {
  const line = child.waitForLine((l) => l.startsWith('STATS '), 60_000);
  child.proc.stdin!.write(`${cmd}\n`);
  return JSON.parse((await line).slice(6)) as IdleChildStats;
}

/** RSS (MiB) of a `node` running `code` once it printed its first line (then killed). */
async function floorOf(group: ProcessGroup, args: readonly string[], cwd?: string): Promise<{ rss: number; heap: number }> {
  const child = group.start(process.execPath, args, { name: 'floor probe', cwd });
  const line = await child.waitForLine((l) => l.startsWith('HEAP '), 30_000);
  await sleep(500);
  const rss = statusMB(child.pid, 'VmRSS');
  await group.stop(child, 2000, 'SIGKILL');
  return { rss, heap: Number(line.slice(5)) };
}

/** Runs the benchmark for each variant (one control plane for all of them). */
export async function runIdleMemoryBench(opts: { variants?: IdleVariant[]; settleSeconds?: number; snapshotDir?: string; cli?: boolean; log?: (l: string) => void } = {}): Promise<IdleMemoryResult> {
  const log = opts.log ?? (() => undefined);
  const variants = opts.variants ?? defaultIdleVariants();
  const settleSeconds = opts.settleSeconds ?? 5;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-idle-'));
  const group = new ProcessGroup({ available: false });
  writeFileSync(path.join(dir, 'mesh.yaml'), generateMeshYaml({ services: 1000, replicas: 10, namespaces: 10 }));
  const { cp, xds } = await startControlPlane(dir, sequentialPodAddresses());
  try {
    const emptyNode = await floorOf(group, ['-e', 'console.log("HEAP " + process.memoryUsage().heapUsed / 1048576); setInterval(() => {}, 1000)']);
    const proxyPath = JSON.stringify(path.join(HERE, '../src/proxy/proxy.js'));
    const protosPath = JSON.stringify(path.join(HERE, '../src/xds/protos.js'));
    const modulesCode = `await import(${proxyPath}); (await import(${protosPath})).envoyRoot(); console.log("HEAP " + process.memoryUsage().heapUsed / 1048576); setInterval(() => {}, 1000)`;
    const modules = await floorOf(group, ['--input-type=module', '-e', modulesCode]);
    const modulesFlags = await floorOf(group, [...PROXY_NODE_FLAGS, '--input-type=module', '-e', modulesCode]);
    const grpcCode = (root: boolean) => `await import("@grpc/grpc-js"); ${root ? `(await import(${protosPath})).envoyRoot();` : ''} console.log("HEAP " + process.memoryUsage().heapUsed / 1048576); setInterval(() => {}, 1000)`;
    const grpcOnly = await floorOf(group, [...PROXY_NODE_FLAGS, '--input-type=module', '-e', grpcCode(false)], REPO_ROOT);
    const grpcRoot = await floorOf(group, [...PROXY_NODE_FLAGS, '--input-type=module', '-e', grpcCode(true)], REPO_ROOT);
    const snap = cp.current();
    const pod = snap.registry.workloads.find((w) => w.address)!;
    const results: IdleVariantResult[] = [];
    let clusters = 0;
    let loadAssignments = 0;
    for (const variant of variants) {
      log(`idle memory: ${variant.name} (${describeVariant(variant)})`);
      const options: IdleChildOptions = {
        ip: pod.address!, podName: pod.name, namespace: pod.namespace, labels: { ...pod.labels }, xds,
        waitClusterCount: snap.registry.services.length * 3, waitEndpointCount: snap.registry.services.length * 3,
      };
      const t = performance.now();
      const child = group.start(process.execPath, [...variant.nodeFlags, CHILD, JSON.stringify(options)], { name: `idle sidecar (${variant.name})`, env: { ...process.env, ...variant.env } });
      await child.waitForLine((l) => l.startsWith('READY '), 120_000);
      const readyMs = performance.now() - t;
      await sleep(settleSeconds * 1000);
      const settled = await ask(child, 'stats');
      const afterGc = variant.nodeFlags.includes('--expose-gc') ? await ask(child, 'gc') : undefined;
      if (opts.snapshotDir) await ask(child, `smaps ${path.join(opts.snapshotDir, `idle-${variant.name.replace(/\W+/g, '-')}.smaps`)}`);
      if (opts.snapshotDir) await ask(child, `snapshot ${path.join(opts.snapshotDir, `idle-${variant.name.replace(/\W+/g, '-')}.heapsnapshot`)}`);
      clusters = settled.clusters;
      loadAssignments = settled.endpoints;
      results.push({ variant, readyMs, settled, afterGc });
      await group.stop(child, 5000);
    }
    let cli: CliSidecarResult | undefined;
    if (opts.cli !== false) {
      const argv = [...PROXY_NODE_FLAGS, WEFT_BIN, 'proxy', '--role', 'sidecar', '--ip', pod.address!, '--pod', pod.name, '--namespace', pod.namespace,
        '--labels', Object.entries(pod.labels).map(([k, v]) => `${k}=${v}`).join(','), '--xds', xds,
        '--outbound-port', '0', '--admin-port', '0', '--ready-port', '0', '--prometheus-port', '0'];
      log(`idle memory: weft proxy (${PROXY_NODE_FLAGS.join(' ')})`);
      const child = group.start(process.execPath, argv, { name: 'weft proxy' });
      await child.waitForLine((l) => l.startsWith('weft proxy: ready'), 120_000);
      await sleep(settleSeconds * 1000);
      const f = (k: string) => procStatusMB(child.pid, k);
      cli = { command: `node ${argv.map((a) => (/[\s|~]/.test(a) ? `'${a}'` : a)).join(' ').replace(WEFT_BIN, 'bin/weft.js')}`, rssMB: f('VmRSS'), hwmMB: f('VmHWM'), rssAnonMB: f('RssAnon'), rssFileMB: f('RssFile') };
      await group.stop(child, 5000);
    }
    return {
      cli,
      services: snap.registry.services.length, endpoints: snap.registry.workloads.length, clusters, loadAssignments,
      floor: { emptyNodeMB: emptyNode.rss, proxyModulesMB: modules.rss, proxyModulesHeapMB: modules.heap, proxyModulesWithFlagsMB: modulesFlags.rss, grpcMB: grpcOnly.rss, grpcEnvoyTypesMB: grpcRoot.rss },
      results, settleSeconds,
    };
  } finally {
    await group.stopAll();
    await cp.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The BENCHMARKS.md section body. */
export function idleMemoryReport(r: IdleMemoryResult, machine: string): string {
  const f = (n: number) => n.toFixed(0);
  const rows = r.results.map((x) => {
    const s = x.settled;
    const gc = x.afterGc ? `${f(x.afterGc.rssMB)} MB RSS, ${f(x.afterGc.heapUsedMB)} MB heap used` : '—';
    return `| ${x.variant.name} | \`${describeVariant(x.variant)}\` | **${f(s.rssMB)}** (${f(s.rssAnonMB)} + ${f(s.rssFileMB)}) | ${f(s.hwmMB)} | ${f(s.heapUsedMB)} / ${f(s.heapTotalMB)} | ${f(s.externalMB)} | ${f(s.mallocedMB)} | ${gc} | ${(x.readyMs / 1000).toFixed(1)} s |`;
  });
  const main = r.results[0];
  const headline = r.cli?.rssMB ?? main?.settled.rssMB;
  const verdict = headline !== undefined && headline <= 50 ? 'met' : 'NOT MET';
  return `Command: \`npm run bench -- idle\` (bench/idle-memory.ts; standalone \`node dist/bench/idle-memory.js\`). Machine: ${machine}.

One sidecar (bench/idle-memory-child.ts runs \`startProxy\`, as \`weft proxy\` does) of a mesh of ${r.services} services × 10 endpoints in 10 namespaces (bench/mesh-generator.ts): ${r.clusters} clusters, ${r.loadAssignments} load assignments. Figures ${r.settleSeconds} s after it holds all of them; RSS and HWM from /proc/<pid>/status, heap from \`process.memoryUsage()\` / \`v8.getHeapStatistics()\` in the child.

| variant | node flags | RSS (MB) (anonymous + file-backed) | peak RSS, VmHWM (MB) | heap used / total (MB) | external (MB) | malloced by V8 (MB) | after a full GC | ready after |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${r.cli ? `\`weft proxy\` itself, as \`weft up\` starts it, same mesh and settling: **${f(r.cli.rssMB)} MB RSS** (${f(r.cli.rssAnonMB)} anonymous + ${f(r.cli.rssFileMB)} file-backed), peak ${f(r.cli.hwmMB)} MB (\`${r.cli.command}\`).\n\n` : ''}Floor on this machine, idle processes that never see any config (RSS): \`node -e\` ${f(r.floor.emptyNodeMB)} MB; with the proxy flags, plus \`@grpc/grpc-js\` ${f(r.floor.grpcMB)} MB, plus Envoy's protobuf types (protos.ts \`envoyRoot()\`) ${f(r.floor.grpcEnvoyTypesMB)} MB, plus every module the proxy loads ${f(r.floor.proxyModulesWithFlagsMB)} MB (${f(r.floor.proxyModulesMB)} MB without the flags; ${f(r.floor.proxyModulesHeapMB)} MB heap used).

Where the ${main ? f(main.settled.rssMB) : '?'} MB go (first row): ${main ? f(main.settled.rssFileMB) : '?'} MB are file-backed pages, almost all of them the node binary's code (an idle \`node -e\` already maps about 33 MB of them; they are shared by every node process on the machine, so N sidecars do not pay them N times, but RSS counts them); of the ${main ? f(main.settled.rssAnonMB) : '?'} MB anonymous, the V8 heap has ${main ? f(main.settled.heapTotalMB) : '?'} MB committed (${main ? f(main.settled.heapUsedMB) : '?'} used, of which about ${f(r.floor.proxyModulesHeapMB)} MB is the code and data of the modules and protobuf types a proxy has before any config), and ${main ? f(main.settled.externalMB) : '?'} MB are buffers outside the heap, mostly the accepted resources' wire bytes: the only copy the proxy keeps of its Clusters and ClusterLoadAssignments (src/xds/encoded-resources.ts; decoded when a cluster is first used). The rest is malloc'd memory of node, V8's compiler and GC threads, and libraries. The budget of 50 MB is below what an xDS client in Node weighs before it receives any config (the grpc-js + Envoy types line above).

Budget (design.md §8b) idle sidecar ≤ 50 MB RSS with 1,000 services of config: **${verdict}** (${headline !== undefined ? f(headline) : '?'} MB).`;
}

/** Throughput of one sidecar per variant, measured in interleaved rounds. */
export interface FlagThroughputResult {
  readonly seconds: number;
  readonly rounds: number;
  readonly warmSeconds: number;
  readonly rows: { readonly variant: IdleVariant; readonly rps: number[]; readonly cpuPer10k: number[]; readonly rssMB: number }[];
  readonly cores: string;
}

/**
 * What node flags cost on the request path: one Weft sidecar per variant (small config: one
 * service whose endpoint is a local nginx serving 1 KiB), each warmed up, then `rounds` rounds of
 * `wrk -t2 -c16` against each in turn (the proxy pinned to core 1, wrk and nginx to core 0 when
 * taskset exists). Loopback addresses 127.79.0.0/16.
 */
export async function runFlagThroughput(variants: IdleVariant[], opts: { seconds?: number; rounds?: number; warmSeconds?: number; log?: (l: string) => void } = {}): Promise<FlagThroughputResult> {
  const log = opts.log ?? (() => undefined);
  const seconds = opts.seconds ?? 10;
  const rounds = opts.rounds ?? 3;
  const warmSeconds = opts.warmSeconds ?? 12;
  const cores = corePlan();
  const group = new ProcessGroup({ available: cores.pinned });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-flags-'));
  const upHost = '127.79.0.2';
  let cp: Awaited<ReturnType<typeof startControlPlane>>['cp'] | undefined;
  try {
    const upPort = await freePort(upHost);
    const upDir = path.join(dir, 'upstream');
    await startNginx(group, upDir, upHost, upPort, upstreamConfig(upDir, upHost, upPort), cores.load, 'nginx upstream');
    const meshDir = path.join(dir, 'mesh');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(meshDir);
    writeFileSync(path.join(meshDir, 'mesh.yaml'), `apiVersion: v1
kind: Service
metadata: {name: direct, namespace: default}
spec:
  selector: {app: upstream}
  ports: [{name: http, port: ${upPort}, targetPort: ${upPort}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: upstream-0, namespace: default}
spec: {address: ${upHost}, labels: {app: upstream}}
`);
    const started = await startControlPlane(meshDir);
    cp = started.cp;
    const procs: ProxyProcess[] = [];
    for (const [i, v] of variants.entries()) {
      const ip = `127.79.0.${10 + i}`;
      const o: ProxyChildOptions = { role: 'sidecar', ip, podName: `client-${i}`, namespace: 'default', labels: { app: 'client' }, xds: started.xds, exactPorts: false, waitCluster: `outbound|${upPort}||direct.default.svc.cluster.local` };
      const child = group.start(process.execPath, [...v.nodeFlags, PROXY_CHILD, JSON.stringify(o)], { cores: cores.proxy, name: `sidecar (${v.name})`, env: { ...process.env, ...v.env } });
      const line = await child.waitForLine((l) => l.startsWith('READY '), 60_000);
      procs.push({ child, ready: JSON.parse(line.slice(6)) as ProxyChildReady });
    }
    const script = writeWrkScript(dir);
    const wrkOf = (i: number, secs: number) => ({
      url: `http://127.79.0.${10 + i}:${procs[i]!.ready.outbound}${BODY_PATH}`, headers: [`Host: direct:${upPort}`], connections: 16, threads: 2, seconds: secs, cores: cores.load,
    });
    for (const [i, v] of variants.entries()) {
      log(`flag throughput: warming ${v.name}`);
      await runWrk(group, wrkOf(i, warmSeconds), script);
    }
    const rows = variants.map((variant) => ({ variant, rps: [] as number[], cpuPer10k: [] as number[], rssMB: 0 }));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        const before = cpuSeconds(procs[i]!.child.pid);
        const w = await runWrk(group, wrkOf(i, seconds), script);
        const cpu = cpuSeconds(procs[i]!.child.pid) - before;
        rows[i]!.rps.push(w.rps);
        rows[i]!.cpuPer10k.push(w.requests > 0 ? (cpu / w.requests) * 10_000 : NaN);
        log(`flag throughput: round ${r + 1} ${variants[i]!.name}: ${w.rps.toFixed(0)} rps (${w.errors} errors, ${w.non2xx} non-2xx), ${rows[i]!.cpuPer10k.at(-1)!.toFixed(3)} CPU-s/10k`);
      }
    }
    for (const [i, row] of rows.entries()) row.rssMB = statusMB(procs[i]!.child.pid, 'VmRSS');
    return { seconds, rounds, warmSeconds, rows, cores: cores.describe };
  } finally {
    await group.stopAll();
    await cp?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The flag-throughput table (markdown). */
export function flagThroughputReport(r: FlagThroughputResult): string {
  const base = r.rows[0];
  const rows = r.rows.map((x) => {
    const rel = base ? ` (${((median(x.rps) / median(base.rps) - 1) * 100).toFixed(1)} %)` : '';
    return `| ${x.variant.name} | \`${describeVariant(x.variant)}\` | ${(median(x.rps) / 1000).toFixed(1)}k${rel} [${x.rps.map((v) => (v / 1000).toFixed(1)).join(', ')}] | ${median(x.cpuPer10k).toFixed(3)} [${x.cpuPer10k.map((v) => v.toFixed(3)).join(', ')}] | ${x.rssMB.toFixed(0)} |`;
  });
  return `Throughput cost of the flags: one sidecar per variant (one service, 1 KiB from nginx), each warmed up ${r.warmSeconds} s, then ${r.rounds} interleaved rounds of \`wrk -t2 -c16 -d${r.seconds}s\` (${r.cores}); medians [per round]. Run-to-run noise on this shared machine is large (design.md §8a: ±15–30 %), so read the per-round pairs, not one median.

| variant | node flags | rps at 16 conns | CPU-s per 10k requests | RSS after (MB) |
| --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}

async function standalone(): Promise<void> {
  const args = process.argv.slice(2);
  const variants: IdleVariant[] = [];
  let snapshotDir: string | undefined;
  let settleSeconds: number | undefined;
  let throughput = false;
  let rounds: number | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--throughput') throughput = true;
    else if (args[i] === '--rounds') rounds = Number(args[++i]);
    if (args[i] === '--variant') variants.push(parseVariant(args[++i]!)); else if (args[i] === '--snapshot') snapshotDir = args[++i];
    else if (args[i] === '--settle') settleSeconds = Number(args[++i]);
  }
  if (throughput) {
    const t = await runFlagThroughput(variants.length ? variants : defaultFlagVariants(), { rounds, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${flagThroughputReport(t)}\n`);
    return;
  }
  const r = await runIdleMemoryBench({ variants: variants.length ? variants : undefined, snapshotDir, settleSeconds, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
  process.stdout.write(`${idleMemoryReport(r, `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  standalone().then(() => process.exit(0), (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
