/**
 * Proxy benchmark (issue 3, design.md §8): wrk and a constant-rate client against one upstream
 * (nginx, static 1 KiB body) on six paths — direct; nginx as reverse proxy; one Weft sidecar
 * (outbound listener, origin-form + Host); the same with retries + outlier detection on the route
 * (issue 5); Weft gateway → app sidecar (inbound) → upstream; client sidecar → mTLS (STRICT) →
 * server sidecar → upstream with certificates from the control plane's CA (issue 6) —
 * with the proxies in their own processes pinned to another core than the load, CPU and RSS read
 * from /proc around every run, Node proxies warmed up first, runs interleaved, medians of N.
 * Also: idle sidecar RSS with 1,000 services of config, and one CPU profile of a sidecar under load.
 * Every process started here is stopped by PID in `finally`; temp dirs are removed.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMeshYaml } from './mesh-generator.js';
import { removeTempDir, tempDir } from './lib/cleanup.js';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { cpuMark, foreignCores, loadLine } from './lib/machine-cpu.js';
import { BODY_PATH, freePort, reverseProxyConfig, startNginx, upstreamConfig } from './lib/nginx.js';
import { cpuSecondsOf, processTree, rssMB, statusMB } from './lib/proc-stats.js';
import { ProcessGroup } from './lib/processes.js';
import { corePlan, ensureTools, type CorePlan, type ToolsReport } from './lib/tools.js';
import { runWrk, writeWrkScript, wrkArgs, type WrkOptions } from './lib/wrk.js';
import { ADDR, MTLS_SA, proxyChildOf, proxyIdentity, sequentialPodAddresses, startControlPlane, startProxyChild, writeBenchMesh, type ProxyProcess } from './proxy-mesh.js';
import type { RateOptions, RateResult } from './rate-child.js';
import { fileURLToPath } from 'node:url';
import { PROXY_NODE_FLAGS } from '../src/proxy/node-flags.js';
import type { ControlPlane } from '../src/control/control-plane.js';
import type { ProxyChildOptions } from './proxy-child.js';
import { execFileSync } from 'node:child_process';

/** A proxy child's workload identity (xDS is authenticated: every proxy needs one). */
type ProxyChildIdentity = NonNullable<ProxyChildOptions['identity']>;

/** The short commit of the checkout at `root` (or `unknown`). */
function gitCommit(root: string): string {
  try {
    return execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Durations and sizes of one benchmark run. */
export interface ProxyBenchSettings {
  readonly quick: boolean;
  readonly reps: number;
  readonly throughputSeconds: number;
  readonly latencySeconds: number;
  readonly rateSeconds: number;
  readonly rateQps: number;
  readonly rateConnections: number;
  readonly warmSeconds: number;
  readonly profileWarmSeconds: number;
  readonly profileSeconds: number;
  readonly idleServices: number;
  readonly idleReplicas: number;
  readonly idleSettleSeconds: number;
}

/** Full settings, or short ones for development (`WEFT_BENCH_QUICK=1`). */
export function proxyBenchSettings(quick: boolean): ProxyBenchSettings {
  return quick
    ? { quick, reps: 1, throughputSeconds: 3, latencySeconds: 2, rateSeconds: 2, rateQps: 1000, rateConnections: 4, warmSeconds: 3, profileWarmSeconds: 2, profileSeconds: 3, idleServices: 1000, idleReplicas: 10, idleSettleSeconds: 5 }
    : { quick, reps: 3, throughputSeconds: 10, latencySeconds: 2, rateSeconds: 10, rateQps: 1000, rateConnections: 4, warmSeconds: 12, profileWarmSeconds: 5, profileSeconds: 8, idleServices: 1000, idleReplicas: 10, idleSettleSeconds: 20 };
}

/** The request paths. */
export type PathId = 'direct' | 'nginx' | 'sidecar' | 'retry' | 'gateway' | 'mtls' | 'sidecar-before' | 'gateway-before' | 'mtls-before';
/** The four measurements per path. */
export type MeasureId = 'tp16' | 'tp64' | 'lat1' | 'rate';

/** One measurement of one path. */
export interface Sample {
  readonly rep: number;
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU seconds per measured proxy process during the run. */
  readonly cpu: Record<string, number>;
  /** RSS (MiB) per measured proxy process right after the run. */
  readonly rss: Record<string, number>;
  /** Cores busy with processes that are not this benchmark's, on average during the run. */
  readonly foreign: number;
  /** Client-side send lag p99 (rate runs only). */
  readonly sendLagP99?: number;
}

/** A path as measured. */
export interface PathInfo {
  readonly id: PathId;
  readonly label: string;
  readonly url: string;
  readonly headers: readonly string[];
  /** Proxy processes on this path (name → PIDs), empty for direct. */
  readonly procs: readonly { readonly name: string; readonly pids: readonly number[] }[];
}

/** Everything the proxy benchmark measured. */
export interface ProxyBenchResult {
  readonly settings: ProxyBenchSettings;
  readonly tools: ToolsReport;
  readonly cores: CorePlan;
  readonly paths: readonly PathInfo[];
  readonly samples: ReadonlyMap<PathId, ReadonlyMap<MeasureId, readonly Sample[]>>;
  readonly commands: readonly string[];
  readonly rateEngine: string;
  readonly idle: { readonly services: number; readonly endpoints: number; readonly clusters: number; readonly rssMB: number; readonly hwmMB: number; readonly readyMs: number };
  /** RSS of the bench-mesh sidecar right after it became ready (2 services of config). */
  readonly smallConfigRssMB: number;
  /** Absent when profiling failed (the reason is in `errors`). */
  readonly profile: (ProfileSummary & { readonly rps: number; readonly command: string }) | undefined;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
  readonly foreignCoresSection: number;
  /** What the retry path's sidecar was given and did (from its admin API). */
  readonly retryCheck: RetryCheck;
  /** Evidence that the mTLS path is mutual TLS end to end, with Istio metrics (from the admin APIs and a plaintext probe). */
  readonly mtlsCheck: MtlsCheck;
  readonly elapsedSeconds: number;
  readonly errors: readonly string[];
  /** The baseline build measured beside this one (`WEFT_BENCH_BASELINE`): its commit, or undefined. */
  readonly baseline: { readonly root: string; readonly commit: string } | undefined;
}

/** The retry path's route and cluster as the sidecar runs them, and its retry counters after the rounds. */
export interface RetryCheck {
  readonly numRetries: number | undefined;
  readonly perTryTimeout: string | undefined;
  readonly retryOn: string | undefined;
  readonly outlierDetection: boolean;
  /** The plain sidecar's route retry policy (Istio's default when no VirtualService). */
  readonly plainRetryOn: string | undefined;
  readonly plainNumRetries: number | undefined;
  /** `upstream_rq_retry` of the retry cluster after all rounds (0 expected: the upstream always answers 200). */
  readonly retries: number;
  readonly perTryTimeouts: number;
  readonly ejections: number;
}

/** The mTLS path as observed. */
export interface MtlsCheck {
  /** Client sidecar: TLS handshakes to the server's cluster. */
  readonly handshakes: number;
  /** Server sidecar's `istio_requests_total` series with `reporter="destination"`, `connection_security_policy="mutual_tls"` and the client's principal. */
  readonly serverMutualTlsRequests: number;
  /** Client sidecar's `istio_requests_total` with `reporter="source"` and the server's principal. */
  readonly clientSourceRequests: number;
  /** A plaintext request straight to the server sidecar's inbound port: how it ended (STRICT refuses it). */
  readonly plaintextProbe: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RATE_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rate-child.js');

/**
 * Runs the whole proxy benchmark. `baselineRoot`: a checkout of an earlier commit, built
 * (`npm run build`), whose proxies run the sidecar, gateway and mTLS paths beside this build's in
 * the same interleaved rounds (paths `*-before`), for before/after figures from one host state.
 */
export async function runProxyBench(settings: ProxyBenchSettings, log: (line: string) => void, baselineRoot?: string): Promise<ProxyBenchResult> {
  const started = performance.now();
  const tools = ensureTools(log);
  const cores = corePlan();
  const group = new ProcessGroup({ available: cores.pinned });
  const dirs: string[] = [];
  const tmp = (name: string) => {
    const d = tempDir(name);
    dirs.push(d);
    return d;
  };
  const cps: ControlPlane[] = [];
  const loadAtStart = loadLine();
  const sectionMark = cpuMark(0);
  try {
    // Upstream and reference reverse proxy.
    const upPort = await freePort(ADDR.upstream);
    const upDir = tmp('upstream');
    const upstream = await startNginx(group, upDir, ADDR.upstream, upPort, upstreamConfig(upDir, ADDR.upstream, upPort), cores.load, 'nginx upstream');
    const rpPort = await freePort(ADDR.nginxProxy);
    const rpDir = tmp('nginx-proxy');
    const rp = await startNginx(group, rpDir, ADDR.nginxProxy, rpPort, reverseProxyConfig(rpDir, ADDR.nginxProxy, rpPort, `${ADDR.upstream}:${upPort}`), cores.proxy, 'nginx reverse proxy');

    // Weft: control plane in this process, proxies as pinned children; every proxy has a workload
    // certificate (xDS is authenticated since issue 10).
    const gwPort = await freePort(ADDR.gateway);
    const meshDir = tmp('mesh');
    writeBenchMesh(meshDir, upPort, gwPort, baselineRoot !== undefined);
    const { cp, xds } = await startControlPlane(meshDir, undefined, true);
    cps.push(cp);
    const directCluster = `outbound|${upPort}||direct.default.svc.cluster.local`;
    const retryCluster = `outbound|${upPort}||direct-retry.default.svc.cluster.local`;
    const secureCluster = `outbound|${upPort}||secure.default.svc.cluster.local`;
    const sidecar = await startProxyChild(group, { role: 'sidecar', ip: ADDR.clientSidecar, podName: 'client-0', namespace: 'default', labels: { app: 'client' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, exactPorts: false, waitCluster: directCluster }, cores.proxy, 'weft sidecar');
    const smallConfigRssMB = rssMB(sidecar.child.pid);
    const appSidecar = await startProxyChild(group, { role: 'sidecar', ip: ADDR.appSidecar, podName: 'app-0', namespace: 'default', labels: { app: 'app' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, appAddress: ADDR.upstream, exactPorts: true, waitInboundPort: upPort }, cores.proxy, 'weft app sidecar');
    const gateway = await startProxyChild(group, { role: 'gateway', ip: ADDR.gateway, podName: 'ingressgateway-0', namespace: 'default', labels: { istio: 'ingressgateway' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, exactPorts: true, waitCluster: `outbound|${upPort}||app.default.svc.cluster.local` }, cores.proxy, 'weft gateway');
    // Issue 5: the plain sidecar's twin, calling `direct-retry` (same upstream; retries + outlier detection).
    const retrySidecar = await startProxyChild(group, { role: 'sidecar', ip: ADDR.retrySidecar, podName: 'client-retry-0', namespace: 'default', labels: { app: 'client' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, exactPorts: false, waitCluster: retryCluster }, cores.proxy, 'weft sidecar (retries)');
    // Issue 6: the mTLS pair, each proxy with a workload certificate from the CA (single-use bootstrap token).
    const mtlsServer = await startProxyChild(group, {
      role: 'sidecar', ip: ADDR.mtlsServerSidecar, podName: 'secure-0', namespace: 'default', labels: { app: 'secure', 'security.istio.io/tlsMode': 'istio' },
      serviceAccount: MTLS_SA.server, identity: await proxyIdentity(cp, 'default', MTLS_SA.server), xds, appAddress: ADDR.upstream, exactPorts: true, waitInboundPort: upPort,
    }, cores.proxy, 'weft mTLS server sidecar');
    const mtlsClient = await startProxyChild(group, {
      role: 'sidecar', ip: ADDR.mtlsClientSidecar, podName: 'client-mtls-0', namespace: 'default', labels: { app: 'client' },
      serviceAccount: MTLS_SA.client, identity: await proxyIdentity(cp, 'default', MTLS_SA.client), xds, exactPorts: false, waitCluster: secureCluster,
    }, cores.proxy, 'weft mTLS client sidecar');

    const paths: PathInfo[] = [
      { id: 'direct', label: 'direct to the upstream', url: `http://${ADDR.upstream}:${upPort}${BODY_PATH}`, headers: [], procs: [] },
      { id: 'nginx', label: 'nginx reverse proxy (1 worker, keep-alive pool)', url: `http://${ADDR.nginxProxy}:${rpPort}${BODY_PATH}`, headers: [], procs: [{ name: 'nginx', pids: processTree(rp.child.pid) }] },
      { id: 'sidecar', label: 'one Weft sidecar (outbound listener)', url: `http://${ADDR.clientSidecar}:${sidecar.ready.outbound}${BODY_PATH}`, headers: [`Host: direct:${upPort}`], procs: [{ name: 'sidecar', pids: [sidecar.child.pid] }] },
      { id: 'retry', label: 'one Weft sidecar, route with retries + outlier detection', url: `http://${ADDR.retrySidecar}:${retrySidecar.ready.outbound}${BODY_PATH}`, headers: [`Host: direct-retry:${upPort}`], procs: [{ name: 'sidecar', pids: [retrySidecar.child.pid] }] },
      { id: 'gateway', label: 'Weft gateway → app sidecar (inbound) → upstream', url: `http://${ADDR.gateway}:${gwPort}${BODY_PATH}`, headers: [], procs: [{ name: 'gateway', pids: [gateway.child.pid] }, { name: 'app sidecar', pids: [appSidecar.child.pid] }] },
      { id: 'mtls', label: 'client sidecar → mTLS (STRICT) → server sidecar (inbound) → upstream, Istio metrics on', url: `http://${ADDR.mtlsClientSidecar}:${mtlsClient.ready.outbound}${BODY_PATH}`, headers: [`Host: secure:${upPort}`], procs: [{ name: 'client sidecar', pids: [mtlsClient.child.pid] }, { name: 'server sidecar', pids: [mtlsServer.child.pid] }] },
    ];
    const baselineChildren: ProxyProcess[] = [];
    let baseline: ProxyBenchResult['baseline'];
    if (baselineRoot !== undefined) {
      const before = proxyChildOf(baselineRoot);
      const start = async (o: Parameters<typeof startProxyChild>[1], name: string): Promise<ProxyProcess> => {
        const p = await startProxyChild(group, o, cores.proxy, `${name} (baseline)`, [], 60_000, before);
        baselineChildren.push(p);
        return p;
      };
      baseline = { root: baselineRoot, commit: gitCommit(baselineRoot) };
      log(`bench proxy: baseline build ${baseline.commit} from ${baselineRoot}`);
      const sc = await start({ role: 'sidecar', ip: ADDR.sidecarBefore, podName: 'client-before-0', namespace: 'default', labels: { app: 'client' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, exactPorts: false, waitCluster: directCluster }, 'weft sidecar');
      const app = await start({ role: 'sidecar', ip: ADDR.appSidecarBefore, podName: 'app-before-0', namespace: 'default', labels: { app: 'app-before' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, appAddress: ADDR.upstream, exactPorts: true, waitInboundPort: upPort }, 'weft app sidecar');
      const gw = await start({ role: 'gateway', ip: ADDR.gatewayBefore, podName: 'ingressgateway-before-0', namespace: 'default', labels: { istio: 'ingressgateway-before' }, identity: await proxyIdentity(cp, 'default', 'default'), xds, exactPorts: true, waitCluster: `outbound|${upPort}||app-before.default.svc.cluster.local` }, 'weft gateway');
      const ms = await start({
        role: 'sidecar', ip: ADDR.mtlsServerBefore, podName: 'secure-before-0', namespace: 'default', labels: { app: 'secure-before', 'security.istio.io/tlsMode': 'istio' },
        serviceAccount: MTLS_SA.server, identity: await proxyIdentity(cp, 'default', MTLS_SA.server), xds, appAddress: ADDR.upstream, exactPorts: true, waitInboundPort: upPort,
      }, 'weft mTLS server sidecar');
      const mc = await start({
        role: 'sidecar', ip: ADDR.mtlsClientBefore, podName: 'client-mtls-before-0', namespace: 'default', labels: { app: 'client' },
        serviceAccount: MTLS_SA.client, identity: await proxyIdentity(cp, 'default', MTLS_SA.client), xds, exactPorts: false, waitCluster: `outbound|${upPort}||secure-before.default.svc.cluster.local`,
      }, 'weft mTLS client sidecar');
      paths.push(
        { id: 'sidecar-before', label: `one Weft sidecar, baseline build ${baseline.commit}`, url: `http://${ADDR.sidecarBefore}:${sc.ready.outbound}${BODY_PATH}`, headers: [`Host: direct:${upPort}`], procs: [{ name: 'sidecar', pids: [sc.child.pid] }] },
        { id: 'gateway-before', label: `gateway → app sidecar → upstream, baseline build ${baseline.commit}`, url: `http://${ADDR.gatewayBefore}:${gwPort}${BODY_PATH}`, headers: [], procs: [{ name: 'gateway', pids: [gw.child.pid] }, { name: 'app sidecar', pids: [app.child.pid] }] },
        { id: 'mtls-before', label: `client sidecar → mTLS → server sidecar → upstream, baseline build ${baseline.commit}`, url: `http://${ADDR.mtlsClientBefore}:${mc.ready.outbound}${BODY_PATH}`, headers: [`Host: secure-before:${upPort}`], procs: [{ name: 'client sidecar', pids: [mc.child.pid] }, { name: 'server sidecar', pids: [ms.child.pid] }] },
      );
    }
    const script = writeWrkScript(tmp('wrk'));
    const live = () => [upstream.child, rp.child, sidecar.child, appSidecar.child, gateway.child, retrySidecar.child, mtlsServer.child, mtlsClient.child, ...baselineChildren.map((p) => p.child)].reduce((n, c) => n + cpuSecondsOf(processTree(c.pid)), 0);
    const errors: string[] = [];
    const wrkFor = (p: PathInfo, connections: number, seconds: number): WrkOptions => ({
      url: p.url, headers: p.headers, connections, threads: connections === 1 ? 1 : 2, seconds, cores: cores.load,
    });
    const quote = (args: string[]) => args.map((a) => (/[\s'"]/.test(a) ? `'${a}'` : a)).join(' ');
    const pin = cores.pinned ? `taskset -c ${cores.load} ` : '';
    const commands = [
      ...paths.map((p) => `${pin}wrk ${quote(wrkArgs(wrkFor(p, 16, settings.throughputSeconds), 'report.lua'))}   # ${p.id}; also -c 64`),
      `${pin}wrk ${quote(wrkArgs(wrkFor(paths[2]!, 1, settings.latencySeconds), 'report.lua'))}   # latency at 1 connection (each path)`,
      `${pin}node dist/bench/rate-child.js '{"url":…,"qps":${settings.rateQps},"connections":${settings.rateConnections},"seconds":${settings.rateSeconds}}'   # open loop at ${settings.rateQps} rps`,
    ];

    let rateEngine = '';
    const measure = async (p: PathInfo, m: MeasureId, rep: number): Promise<Sample> => {
      const pids = p.procs.map((x) => ({ name: x.name, before: cpuSecondsOf(x.pids) }));
      const mark = cpuMark(live());
      let r: { requests: number; seconds: number; rps: number; p50: number; p90: number; p99: number; errors: number; sendLagP99?: number };
      if (m === 'rate') {
        const opts: RateOptions = { url: p.url, headers: p.headers, qps: settings.rateQps, connections: settings.rateConnections, seconds: settings.rateSeconds };
        const child = group.start(process.execPath, [RATE_CHILD, JSON.stringify(opts)], { cores: cores.load, name: 'rate client' });
        const line = await child.waitForLine((l) => l.startsWith('RATE '), (settings.rateSeconds + 30) * 1000);
        await child.exited;
        const rr = JSON.parse(line.slice(5)) as RateResult;
        rateEngine = rr.engine;
        r = { requests: rr.calls, seconds: rr.calls / rr.actualQps, rps: rr.actualQps, p50: rr.p50, p90: rr.p90, p99: rr.p99, errors: rr.errors, sendLagP99: rr.sendLagP99 };
      } else {
        const conns = m === 'tp16' ? 16 : m === 'tp64' ? 64 : 1;
        const w = await runWrk(group, wrkFor(p, conns, m === 'lat1' ? settings.latencySeconds : settings.throughputSeconds), script);
        r = { ...w, errors: w.errors + w.non2xx };
      }
      const foreign = foreignCores(mark, cpuMark(live()));
      const cpu: Record<string, number> = {};
      const rss: Record<string, number> = {};
      for (const [i, x] of p.procs.entries()) {
        cpu[x.name] = cpuSecondsOf(x.pids) - pids[i]!.before;
        rss[x.name] = x.pids.reduce((n, pid) => n + rssMB(pid), 0);
      }
      if (r.errors > 0) errors.push(`${p.id} ${m} rep ${rep}: ${r.errors} errors of ${r.requests}`);
      log(`bench proxy: rep ${rep} ${m.padEnd(4)} ${p.id.padEnd(7)} ${r.rps.toFixed(0).padStart(6)} rps  p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms  cpu ${Object.values(cpu).map((c) => c.toFixed(2)).join('+') || '-'} s  foreign ${foreign.toFixed(2)} cores`);
      return { rep, ...r, cpu, rss, foreign };
    };

    // Warm-up: Node proxies need 10–20 s of load (design.md §8a); nginx a moment.
    for (const p of paths) {
      const seconds = p.id === 'direct' || p.id === 'nginx' ? 2 : settings.warmSeconds;
      log(`bench proxy: warming up ${p.id} for ${seconds} s`);
      await runWrk(group, wrkFor(p, 16, seconds), script);
    }

    // Before the rounds: the mTLS path really is mutual TLS (and STRICT), with Istio metrics.
    const mtlsCheck = await checkMtls(mtlsClient, mtlsServer, secureCluster, upPort);
    log(`bench proxy: mTLS check: ${JSON.stringify(mtlsCheck)}`);
    if (mtlsCheck.handshakes < 1 || mtlsCheck.serverMutualTlsRequests < 1 || mtlsCheck.clientSourceRequests < 1 || !mtlsCheck.plaintextProbe.startsWith('refused')) {
      errors.push(`mTLS path not verified: ${JSON.stringify(mtlsCheck)}`);
    }

    const samples = new Map<PathId, Map<MeasureId, Sample[]>>(paths.map((p) => [p.id, new Map()]));
    const measures: MeasureId[] = ['tp16', 'tp64', 'lat1', 'rate'];
    for (let rep = 1; rep <= settings.reps; rep++) {
      for (const m of measures) {
        // Interleaved: every path once per measurement, the order rotating with the rep.
        for (let k = 0; k < paths.length; k++) {
          const p = paths[(k + rep - 1) % paths.length]!;
          const s = await measure(p, m, rep);
          const list = samples.get(p.id)!.get(m) ?? [];
          list.push(s);
          samples.get(p.id)!.set(m, list);
        }
      }
    }

    const retryCheck = await checkRetry(retrySidecar, sidecar, retryCluster, directCluster, upPort);
    log(`bench proxy: retry check: ${JSON.stringify(retryCheck)}`);
    if (retryCheck.numRetries !== 3 || !retryCheck.outlierDetection || retryCheck.retries > 0) errors.push(`retry path not configured as intended: ${JSON.stringify(retryCheck)}`);

    let profile: ProxyBenchResult['profile'] | undefined;
    try {
      profile = await profileSidecar(group, settings, cores, xds, await proxyIdentity(cp, 'default', 'default'), directCluster, upPort, script, tmp('profile'), log);
    } catch (err) {
      errors.push(`profile: ${(err as Error).message.split('\n')[0]}`);
      log(`bench proxy: profile failed: ${(err as Error).message}`);
    }
    await group.stop(sidecar.child);
    await group.stop(appSidecar.child);
    await group.stop(gateway.child);
    await group.stop(retrySidecar.child);
    await group.stop(mtlsClient.child);
    await group.stop(mtlsServer.child);
    for (const p of baselineChildren) await group.stop(p.child);
    const idle = await idleSidecar(group, settings, cores, tmp('idle-mesh'), cps, log);
    await group.stopAll();
    return {
      settings, tools, cores, paths, samples, commands, rateEngine, idle, smallConfigRssMB, profile,
      loadAtStart, loadAtEnd: loadLine(), foreignCoresSection: foreignCores(sectionMark, cpuMark(0)), retryCheck, mtlsCheck,
      elapsedSeconds: (performance.now() - started) / 1000, errors, baseline,
    };
  } finally {
    await group.stopAll();
    for (const cp of cps) await cp.stop().catch(() => undefined);
    for (const d of dirs) removeTempDir(d);
  }
}

/** GET on a proxy's admin API. */
function adminGet(ip: string, port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: ip, port, path: p, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject).on('timeout', function (this: http.ClientRequest) {
      this.destroy(new Error(`admin ${p} timed out`));
    });
  });
}

/** A `/stats` counter (`name: value`); undefined when absent. */
async function adminStat(ip: string, port: number, name: string): Promise<number | undefined> {
  const line = (await adminGet(ip, port, '/stats')).split('\n').find((l) => l.startsWith(`${name}: `));
  return line ? Number(line.slice(name.length + 2)) : undefined;
}

/** Sum of the Prometheus series (`/stats/prometheus`) of `metric` whose labels contain every one of `labels`. */
async function promSum(ip: string, port: number, metric: string, labels: readonly string[]): Promise<number> {
  const text = await adminGet(ip, port, '/stats/prometheus');
  let n = 0;
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${metric}{`) || !labels.every((x) => l.includes(x))) continue;
    n += Number(l.slice(l.lastIndexOf(' ') + 1)) || 0;
  }
  return n;
}

/** Evidence for the mTLS path: handshakes, the server's mutual_tls metric with the client's principal, a refused plaintext probe. */
async function checkMtls(client: ProxyProcess, server: ProxyProcess, cluster: string, upPort: number): Promise<MtlsCheck> {
  const principal = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;
  const plaintextProbe = await new Promise<string>((resolve) => {
    const req = http.get({ host: ADDR.mtlsServerSidecar, port: server.ready.inbound[String(upPort)] ?? upPort, path: BODY_PATH, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`refused (${(e as NodeJS.ErrnoException).code ?? e.message})`));
  });
  return {
    handshakes: (await adminStat(ADDR.mtlsClientSidecar, client.ready.admin, `cluster.${cluster}.ssl.handshake`)) ?? 0,
    serverMutualTlsRequests: await promSum(ADDR.mtlsServerSidecar, server.ready.admin, 'istio_requests_total', ['reporter="destination"', 'connection_security_policy="mutual_tls"', `source_principal="${principal(MTLS_SA.client)}"`]),
    clientSourceRequests: await promSum(ADDR.mtlsClientSidecar, client.ready.admin, 'istio_requests_total', ['reporter="source"', `destination_principal="${principal(MTLS_SA.server)}"`]),
    plaintextProbe,
  };
}

/** The retry sidecar's route and cluster config (from `/config_dump`) and its retry counters; the plain sidecar's route retry policy. */
async function checkRetry(retry: ProxyProcess, plain: ProxyProcess, retryCluster: string, plainCluster: string, upPort: number): Promise<RetryCheck> {
  interface RetryPolicy { retryOn?: string; numRetries?: number | { value?: number }; perTryTimeout?: string | { seconds?: number | string; nanos?: number } }
  const policyFor = async (ip: string, admin: number, host: string): Promise<RetryPolicy | undefined> => {
    const dump = await adminGet(ip, admin, '/config_dump');
    // Find the route of the virtual host serving `host:port` without depending on the dump's exact nesting.
    let found: RetryPolicy | undefined;
    const walk = (v: unknown): void => {
      if (found || typeof v !== 'object' || v === null) return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (Array.isArray(o['domains']) && (o['domains'] as string[]).includes(`${host}:${upPort}`) && Array.isArray(o['routes'])) {
        const route = (o['routes'] as { route?: { retryPolicy?: RetryPolicy } }[])[0];
        found = route?.route?.retryPolicy ?? {};
        return;
      }
      Object.values(o).forEach(walk);
    };
    walk(JSON.parse(dump));
    return found;
  };
  const duration = (d: RetryPolicy['perTryTimeout']): string | undefined =>
    d === undefined || typeof d === 'string' ? d : `${Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9}s`;
  const num = (p: RetryPolicy | undefined) => (typeof p?.numRetries === 'object' ? p.numRetries.value : p?.numRetries);
  const rp = await policyFor(ADDR.retrySidecar, retry.ready.admin, 'direct-retry');
  const pp = await policyFor(ADDR.clientSidecar, plain.ready.admin, 'direct');
  // The retry cluster (by name) carries outlierDetection; the plain one does not.
  const clusterHas = async (ip: string, admin: number, name: string): Promise<boolean> => {
    let has = false;
    const walk = (v: unknown): void => {
      if (has || typeof v !== 'object' || v === null) return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (o['name'] === name && 'outlierDetection' in o) has = true;
      else Object.values(o).forEach(walk);
    };
    walk(JSON.parse(await adminGet(ip, admin, '/config_dump')));
    return has;
  };
  const outlierDetection = (await clusterHas(ADDR.retrySidecar, retry.ready.admin, retryCluster)) && !(await clusterHas(ADDR.clientSidecar, plain.ready.admin, plainCluster));
  return {
    numRetries: num(rp), perTryTimeout: duration(rp?.perTryTimeout), retryOn: rp?.retryOn, outlierDetection,
    plainRetryOn: pp?.retryOn, plainNumRetries: num(pp),
    // Counters a proxy never incremented may be absent from /stats: 0.
    retries: (await adminStat(ADDR.retrySidecar, retry.ready.admin, `cluster.${retryCluster}.upstream_rq_retry`)) ?? 0,
    perTryTimeouts: (await adminStat(ADDR.retrySidecar, retry.ready.admin, `cluster.${retryCluster}.upstream_rq_per_try_timeout`)) ?? 0,
    ejections: (await adminStat(ADDR.retrySidecar, retry.ready.admin, `cluster.${retryCluster}.outlier_detection.ejections_enforced_total`)) ?? 0,
  };
}

/** One sidecar child under `node --cpu-prof`, wrk at 16 connections; samples of the measured window only. */
async function profileSidecar(group: ProcessGroup, settings: ProxyBenchSettings, cores: CorePlan, xds: string, identity: ProxyChildIdentity, cluster: string, upPort: number, script: string, dir: string, log: (l: string) => void): Promise<NonNullable<ProxyBenchResult['profile']>> {
  log('bench proxy: profiling a sidecar under load (node --cpu-prof)');
  const prof: ProxyProcess = await startProxyChild(group, { role: 'sidecar', ip: ADDR.profiledSidecar, podName: 'client-1', namespace: 'default', labels: { app: 'client' }, identity, xds, exactPorts: false, waitCluster: cluster }, cores.proxy, 'profiled sidecar', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const opts: WrkOptions = { url: `http://${ADDR.profiledSidecar}:${prof.ready.outbound}${BODY_PATH}`, headers: [`Host: direct:${upPort}`], connections: 16, threads: 2, seconds: settings.profileWarmSeconds, cores: cores.load };
  await runWrk(group, opts, script);
  const from = Number(process.hrtime.bigint() / 1000n);
  const w = await runWrk(group, { ...opts, seconds: settings.profileSeconds }, script);
  const to = Number(process.hrtime.bigint() / 1000n);
  await group.stop(prof.child, 15_000);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the profiled sidecar wrote no .cpuprofile');
  const summary = summarizeCpuProfile(path.join(dir, file), REPO_ROOT, 15, { from, to });
  return {
    ...summary,
    rps: w.rps,
    command: `taskset -c ${cores.proxy ?? '-'} node ${PROXY_NODE_FLAGS.join(' ')} --cpu-prof dist/bench/proxy-child.js '{"role":"sidecar",…}'; wrk -t2 -c16 -d${settings.profileSeconds}s after ${settings.profileWarmSeconds} s of warm-up; samples of the measured ${settings.profileSeconds} s only`,
  };
}

/** A sidecar of a 1,000-service mesh (mesh-generator.ts), idle: RSS once its config arrived and settled. */
async function idleSidecar(group: ProcessGroup, settings: ProxyBenchSettings, cores: CorePlan, dir: string, cps: ControlPlane[], log: (l: string) => void): Promise<ProxyBenchResult['idle']> {
  log(`bench proxy: idle sidecar with ${settings.idleServices} services of config`);
  writeFileSync(path.join(dir, 'mesh.yaml'), generateMeshYaml({ services: settings.idleServices, replicas: settings.idleReplicas, namespaces: 10 }));
  const { cp, xds } = await startControlPlane(dir, sequentialPodAddresses());
  cps.push(cp);
  const snap = cp.current();
  const pod = snap.registry.workloads.find((w) => w.address)!;
  const last = snap.registry.services[snap.registry.services.length - 1]!;
  const t = performance.now();
  const child: ProxyProcess = await startProxyChild(group, {
    role: 'sidecar', ip: pod.address!, podName: pod.name, namespace: pod.namespace, labels: { ...pod.labels }, xds, exactPorts: false,
    waitCluster: `outbound|${last.ports[0]!.port}||${last.hostname}`, waitClusterCount: settings.idleServices * 3,
  }, cores.proxy, 'idle sidecar', [], 120_000);
  const readyMs = performance.now() - t;
  await sleep(settings.idleSettleSeconds * 1000);
  const result = {
    services: snap.registry.services.length,
    endpoints: snap.registry.workloads.length,
    clusters: child.ready.clusters,
    rssMB: rssMB(child.child.pid),
    hwmMB: statusMB(child.child.pid, 'VmHWM'),
    readyMs,
  };
  await group.stop(child.child);
  return result;
}

