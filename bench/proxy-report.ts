/**
 * Markdown for the proxy benchmark's BENCHMARKS.md section: medians per path, ratios to direct
 * and to nginx, CPU-seconds per 10k requests and RSS of each proxy process, the budget lines of
 * design.md §8b and issues 5 and 6 marked met / not met (with what was checked about the retry and
 * mTLS paths), every run's raw figures, and the CPU profile summary.
 */
import { PROXY_NODE_FLAGS } from '../src/proxy/node-flags.js';
import type { MeasureId, PathId, PathInfo, ProxyBenchResult, Sample } from './proxy-bench.js';
import { fmt, kilo, median, verdict } from './lib/stats.js';

/** Median figures of one path. */
interface PathSummary {
  readonly info: PathInfo;
  readonly rps16: number;
  readonly rps64: number;
  readonly p50at1: number;
  readonly p99at1: number;
  readonly p50rate: number;
  readonly p99rate: number;
  /** Per proxy process: CPU seconds per 10k requests at 16 and 64 connections, core use, RSS after load. */
  readonly procs: readonly { name: string; cpu10k16: number; cpu10k64: number; cpu10kRate: number; coreUse16: number; rssMB: number }[];
}

function samplesOf(r: ProxyBenchResult, p: PathId, m: MeasureId): readonly Sample[] {
  return r.samples.get(p)?.get(m) ?? [];
}

function summarize(r: ProxyBenchResult, info: PathInfo): PathSummary {
  const s = (m: MeasureId) => samplesOf(r, info.id, m);
  const med = (m: MeasureId, f: (x: Sample) => number) => median(s(m).map(f));
  return {
    info,
    rps16: med('tp16', (x) => x.rps),
    rps64: med('tp64', (x) => x.rps),
    p50at1: med('lat1', (x) => x.p50),
    p99at1: med('lat1', (x) => x.p99),
    p50rate: med('rate', (x) => x.p50),
    p99rate: med('rate', (x) => x.p99),
    procs: info.procs.map(({ name }) => ({
      name,
      cpu10k16: med('tp16', (x) => (x.cpu[name]! * 1e4) / x.requests),
      cpu10k64: med('tp64', (x) => (x.cpu[name]! * 1e4) / x.requests),
      cpu10kRate: med('rate', (x) => (x.cpu[name]! * 1e4) / x.requests),
      coreUse16: med('tp16', (x) => x.cpu[name]! / x.seconds),
      rssMB: Math.max(...(['tp16', 'tp64', 'lat1', 'rate'] as MeasureId[]).flatMap((m) => s(m).map((x) => x.rss[name] ?? 0))),
    })),
  };
}

/**
 * Issue 13's budget lines with the baseline build's proxies measured in the same rounds: CPU per
 * request relative to nginx's (per proxy), and throughput relative to nginx's where nginx's core is
 * saturated (≥ 90 % busy at 16 connections; otherwise wrk, not nginx, is the limit and throughput says little).
 */
function beforeAfter(r: ProxyBenchResult, sums: ReadonlyMap<PathId, PathSummary>, nginx: PathSummary): string[] {
  const base = r.baseline!;
  const nginxCpu = nginx.procs[0]!.cpu10k16;
  const nginxCore = nginx.procs[0]!.coreUse16;
  const out = [
    `Before / after (issue 13): the baseline build ${base.commit}'s proxies ran the same three paths in the same rounds (\`WEFT_BENCH_BASELINE=${base.root}\`), so both columns come from one host state. CPU per request is per proxy, ÷ nginx's in the same rounds (${fmt(nginxCpu, 2)} CPU-s/10k at 16 c; nginx's core ${fmt(nginxCore * 100)} % busy${nginxCore >= 0.9 ? ', saturated' : ', not saturated: throughput ratios are bounded by the load generator'}).`,
    '',
    '| budget line (issue 13) | before | after | verdict (after) |',
    '| --- | --- | --- | --- |',
  ];
  const rel = (s: PathSummary | undefined) => (s === undefined ? [] : s.procs.map((p) => ({ name: p.name, x: p.cpu10k16 / nginxCpu })));
  const cell = (s: PathSummary | undefined) => rel(s).map((p) => `${s!.procs.length > 1 ? `${p.name} ` : ''}${fmt(p.x, 2)} ×`).join(', ') || '—';
  const worst = (s: PathSummary | undefined) => Math.max(...rel(s).map((p) => p.x));
  const sc = sums.get('sidecar');
  const scb = sums.get('sidecar-before');
  out.push(`| one sidecar ≤ 1.8 × nginx's CPU-s per 10k at 16 c | ${cell(scb)} | ${cell(sc)} | ${verdict(worst(sc) <= 1.8)} |`);
  const tp = (s: PathSummary | undefined) => (s === undefined ? NaN : s.rps16 / nginx.rps16);
  out.push(`| one sidecar ≥ 0.5 × nginx's throughput when nginx's core is saturated | ${fmt(tp(scb), 2)} × | ${fmt(tp(sc), 2)} × | ${nginxCore >= 0.9 ? verdict(tp(sc) >= 0.5) : 'not judged: nginx not saturated in this run'} |`);
  for (const [id, label] of [['gateway', 'gateway → sidecar'], ['mtls', 'mTLS pair']] as const) {
    const after = sums.get(id);
    const before = sums.get(`${id}-before`);
    out.push(`| ${label}: ≤ 2.5 × nginx's CPU per request per proxy | ${cell(before)} | ${cell(after)} | ${verdict(worst(after) <= 2.5)} |`);
  }
  return out;
}

/** Renders the section body (the title is added by run.ts). */
export function proxyReport(r: ProxyBenchResult, machine: string): string {
  const st = r.settings;
  const sums = new Map(r.paths.map((p) => [p.id, summarize(r, p)]));
  const direct = sums.get('direct')!;
  const nginx = sums.get('nginx')!;
  const sidecar = sums.get('sidecar')!;
  const gateway = sums.get('gateway')!;
  const retry = sums.get('retry')!;
  const mtls = sums.get('mtls')!;
  const out: string[] = [];
  out.push(`Command: \`npm run bench -- proxy\` (bench/proxy-bench.ts${st.quick ? ', **WEFT_BENCH_QUICK=1: short runs, not budget figures**' : ''}). Machine: ${machine}.`);
  out.push('');
  out.push(`Tools: ${r.tools.wrkVersion}, nginx ${r.tools.nginxVersion}${r.tools.installed.length ? ` (installed by this run: ${r.tools.installed.join(', ')})` : ''}. ${r.cores.describe}. HTTP/1.1 keep-alive, GET of a 1 KiB static body from one nginx upstream (1 worker) on 127.77.0.2; every proxy in its own process, started with the node flags \`weft up\` gives proxies (\`${PROXY_NODE_FLAGS.join(' ')}\`) (the two proxies of a two-proxy path share the proxy core). Each Node proxy warmed up with ${st.warmSeconds} s of wrk at 16 connections first; then ${st.reps} rounds, each running every measurement on every path in turn (order rotating per round); figures are medians of the ${st.reps} rounds. Section took ${fmt(r.elapsedSeconds)} s; ${r.loadAtStart} at start, ${r.loadAtEnd} at end; other processes on the machine used ${fmt(r.foreignCoresSection, 2)} cores on average during the section (busy time in /proc/stat minus the benchmark's own).`);
  out.push('');
  out.push('Commands (ports chosen at run time; `report.lua` prints wrk\'s own percentiles as JSON):');
  out.push('');
  out.push('```');
  for (const c of r.commands) out.push(c);
  out.push('```');
  out.push('');
  out.push(`Throughput: \`wrk -t2 -c16|-c64 -d${st.throughputSeconds}s\`. Latency at 1 connection: \`wrk -t1 -c1 -d${st.latencySeconds}s\`. At ${st.rateQps} rps: open loop for ${st.rateSeconds} s over ${st.rateConnections} keep-alive connections with ${r.rateEngine || 'the rate client'}. CPU-s/10k: utime+stime of the proxy's processes from /proc/<pid>/stat across the run ÷ requests × 10,000; RSS: VmRSS from /proc/<pid>/status after each run (largest shown).`);
  out.push('');
  out.push('| path | rps at 16 conns | rps at 64 conns | p50 / p99 at 1 conn (ms) | p50 / p99 at 1000 rps (ms) | CPU-s per 10k req (16 c / 64 c / 1000 rps) | proxy core use at 16 c | RSS |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sums.values()) {
    const procCell = (f: (p: PathSummary['procs'][number]) => string) => (s.procs.length ? s.procs.map((p) => (s.procs.length > 1 ? `${p.name}: ` : '') + f(p)).join('<br>') : '—');
    out.push(`| ${s.info.label} | ${kilo(s.rps16)} | ${kilo(s.rps64)} | ${fmt(s.p50at1, 3)} / ${fmt(s.p99at1, 3)} | ${fmt(s.p50rate, 3)} / ${fmt(s.p99rate, 3)} | ${procCell((p) => `${fmt(p.cpu10k16, 2)} / ${fmt(p.cpu10k64, 2)} / ${fmt(p.cpu10kRate, 2)}`)} | ${procCell((p) => `${fmt(p.coreUse16 * 100)} %`)} | ${procCell((p) => `${fmt(p.rssMB)} MB`)} |`);
  }
  out.push('');
  out.push('Ratios (medians; "added" = path minus direct):');
  out.push('');
  out.push('| path | rps at 16 c ÷ direct / ÷ nginx | rps at 64 c ÷ direct / ÷ nginx | added p50 / p99 at 1 conn (ms) | added p50 / p99 at 1000 rps (ms) | CPU-s per 10k ÷ nginx\'s (16 c) |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  const nginxCpu = nginx.procs[0]?.cpu10k16 ?? NaN;
  for (const s of [nginx, sidecar, retry, gateway, mtls, ...(['sidecar-before', 'gateway-before', 'mtls-before'] as const).flatMap((id) => sums.get(id) ?? [])]) {
    const cpu = s.procs.reduce((n, p) => n + p.cpu10k16, 0);
    out.push(`| ${s.info.label} | ${fmt(s.rps16 / direct.rps16, 2)} / ${fmt(s.rps16 / nginx.rps16, 2)} | ${fmt(s.rps64 / direct.rps64, 2)} / ${fmt(s.rps64 / nginx.rps64, 2)} | ${fmt(s.p50at1 - direct.p50at1, 3)} / ${fmt(s.p99at1 - direct.p99at1, 3)} | ${fmt(s.p50rate - direct.p50rate, 3)} / ${fmt(s.p99rate - direct.p99rate, 3)} | ${fmt(cpu / nginxCpu, 1)} × |`);
  }
  out.push('');
  const sc = sidecar.procs[0]!;
  const ratio = sidecar.rps16 / nginx.rps16;
  const gwCpu = Math.max(...gateway.procs.map((p) => p.cpu10k16));
  const gwAddP50 = gateway.p50rate - direct.p50rate;
  const gwAddP99 = gateway.p99rate - direct.p99rate;
  out.push('Budget (design.md §8b; issue 3 takes the first three):');
  out.push('');
  out.push('| budget line | measured | verdict |');
  out.push('| --- | --- | --- |');
  out.push(`| one sidecar ≥ 0.40 × nginx's throughput on one core (16 conns, same run) | ${fmt(ratio, 2)} × (${kilo(sidecar.rps16)} vs ${kilo(nginx.rps16)} rps; at 64 conns ${fmt(sidecar.rps64 / nginx.rps64, 2)} ×) | ${verdict(ratio >= 0.4)} |`);
  out.push(`| one sidecar ≤ 0.5 CPU-s per 10k requests | ${fmt(sc.cpu10k16, 2)} at 16 c, ${fmt(sc.cpu10k64, 2)} at 64 c, ${fmt(sc.cpu10kRate, 2)} at 1000 rps | ${verdict(sc.cpu10k16 <= 0.5)} |`);
  out.push(`| idle sidecar ≤ 50 MB RSS with 1,000 services of config | ${fmt(r.idle.rssMB)} MB (${r.idle.services} services, ${r.idle.clusters} clusters, ${r.idle.endpoints} endpoints; peak ${fmt(r.idle.hwmMB)} MB while loading; ${fmt(r.smallConfigRssMB)} MB with the 2-service bench config) | ${verdict(r.idle.rssMB <= 50)} |`);
  // Issue 5: retries + outlier detection vs the plain sidecar, same rounds: median of the per-round ratios.
  const perRound = (m: MeasureId) => samplesOf(r, 'retry', m).flatMap((x) => {
    const plain = samplesOf(r, 'sidecar', m).find((y) => y.rep === x.rep);
    return plain ? [{ pct: ((x.cpu['sidecar']! / x.requests) / (plain.cpu['sidecar']! / plain.requests) - 1) * 100, foreign: Math.max(x.foreign, plain.foreign) }] : [];
  });
  const extra = (m: MeasureId) => median(perRound(m).map((x) => x.pct));
  const rounds = (m: MeasureId) => perRound(m).map((x) => `${x.pct >= 0 ? '+' : ''}${fmt(x.pct, 1)}`).join(', ');
  const roundsForeign = (m: MeasureId) => perRound(m).map((x) => fmt(x.foreign, 2)).join(', ');
  const rt = retry.procs[0]!;
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${fmt(v, 1)} %`;
  const ex16 = extra('tp16');
  out.push(`| issue 5: a sidecar with retries (attempts 3, perTryTimeout 2s, retryOn 5xx,reset,connect-failure) and outlier detection (consecutive5xxErrors 5, interval 10s, baseEjectionTime 30s) on the route costs < 10 % more CPU per request than the plain sidecar (same run; no retry fires) | extra CPU per request, median of the per-round ratios (rounds in brackets; other processes' cores, worst of the pair, per round): ${pct(ex16)} at 16 c [${rounds('tp16')}; ${roundsForeign('tp16')}]; ${pct(extra('tp64'))} at 64 c [${rounds('tp64')}; ${roundsForeign('tp64')}]; ${pct(extra('rate'))} at 1000 rps [${rounds('rate')}]. Medians: ${fmt(rt.cpu10k16, 3)} vs ${fmt(sc.cpu10k16, 3)} CPU-s/10k at 16 c, ${fmt(rt.cpu10k64, 3)} vs ${fmt(sc.cpu10k64, 3)} at 64 c, ${fmt(rt.cpu10kRate, 2)} vs ${fmt(sc.cpu10kRate, 2)} at 1000 rps; throughput ${fmt(retry.rps16 / sidecar.rps16, 2)} × the plain sidecar's at 16 c | verdict at 16 c: ${verdict(ex16 < 10)} |`);
  // Issue 6 / §8b: the mTLS pair.
  const mtlsCpu16 = Math.max(...mtls.procs.map((p) => p.cpu10k16));
  const mtlsCpuRate = Math.max(...mtls.procs.map((p) => p.cpu10kRate));
  const addP50 = mtls.p50rate - direct.p50rate;
  const addP99 = mtls.p99rate - direct.p99rate;
  const parts = [`CPU ${mtlsCpu16 <= 0.8 ? 'within' : 'over'} at 16 c (worst proxy ${fmt(mtlsCpu16, 2)}), ${mtlsCpuRate <= 0.8 ? 'within' : 'over'} at 1000 rps (${fmt(mtlsCpuRate, 2)})`, `added p50 ${addP50 <= 0.3 ? 'within' : 'over'}`, `added p99 ${addP99 <= 1 ? 'within' : 'over'}`];
  out.push(`| sidecar pair with mTLS and telemetry ≤ 0.8 CPU-s per 10k per proxy; added p50 ≤ 0.3 ms, p99 ≤ 1 ms at 1000 rps (issue 6) | CPU-s/10k at 16 c / 64 c / 1000 rps: ${mtls.procs.map((p) => `${p.name} ${fmt(p.cpu10k16, 2)} / ${fmt(p.cpu10k64, 2)} / ${fmt(p.cpu10kRate, 2)}`).join('; ')}; added at 1000 rps ${fmt(addP50, 3)} / ${fmt(addP99, 3)} ms (p50 / p99; ${fmt(mtls.p50rate, 3)} / ${fmt(mtls.p99rate, 3)} vs direct ${fmt(direct.p50rate, 3)} / ${fmt(direct.p99rate, 3)}); for calibration, nginx in the same rounds: ${fmt(nginx.procs[0]!.cpu10kRate, 2)} CPU-s/10k at 1000 rps vs ${fmt(nginx.procs[0]!.cpu10k16, 2)} at 16 c | ${verdict(mtlsCpu16 <= 0.8 && mtlsCpuRate <= 0.8 && addP50 <= 0.3 && addP99 <= 1)} (${parts.join(', ')}) |`);
  out.push(`| for comparison, plaintext two proxies: gateway → app sidecar, same limits | ${gateway.procs.map((p) => `${p.name} ${fmt(p.cpu10k16, 2)} / ${fmt(p.cpu10kRate, 2)}`).join('; ')} CPU-s/10k (16 c / 1000 rps); added ${fmt(gwAddP50, 3)} / ${fmt(gwAddP99, 3)} ms | reference only: CPU ${gwCpu <= 0.8 ? 'within' : 'over'} at 16 c, p50 ${gwAddP50 <= 0.3 ? 'within' : 'over'}, p99 ${gwAddP99 <= 1 ? 'within' : 'over'} |`);
  out.push('');
  if (r.baseline !== undefined) out.push(...beforeAfter(r, sums, nginx), '');
  const rc = r.retryCheck;
  out.push(`Retry path as the sidecar ran it (admin \`/config_dump\`, \`/stats\`): route retryPolicy numRetries ${rc.numRetries ?? '—'}, perTryTimeout ${rc.perTryTimeout ?? '—'}, retryOn \`${rc.retryOn ?? '—'}\`; cluster outlierDetection ${rc.outlierDetection ? 'present (absent on the plain sidecar\'s cluster)' : '**missing**'}; after all rounds upstream_rq_retry ${rc.retries}, upstream_rq_per_try_timeout ${rc.perTryTimeouts}, outlier ejections ${rc.ejections}. The plain sidecar's route (no VirtualService) carries Istio's default retry policy: numRetries ${rc.plainNumRetries ?? '—'}, retryOn \`${rc.plainRetryOn ?? '—'}\`.`);
  out.push('');
  const mc = r.mtlsCheck;
  out.push(`mTLS path as observed after warm-up (admin APIs): client sidecar \`ssl.handshake\` to the server's cluster ${mc.handshakes}; server sidecar \`istio_requests_total{reporter="destination",connection_security_policy="mutual_tls",source_principal="spiffe://cluster.local/ns/default/sa/client"}\` ${mc.serverMutualTlsRequests}; client sidecar \`istio_requests_total{reporter="source",destination_principal="…/sa/secure"}\` ${mc.clientSourceRequests}; a plaintext GET straight to the server sidecar's STRICT inbound port: ${mc.plaintextProbe}. Certificates: each proxy's from the control plane's CA (\`ControlPlane({ca})\`, \`cp.ca.mintToken(ns, sa)\` → proxy \`identity: {caAddress, rootCertPem, token}\`).`);
  out.push('');
  out.push('Every run (round: value), for the spread:');
  out.push('');
  out.push('| path | rps at 16 c | rps at 64 c | p50 / p99 at 1 c (ms) | p50 / p99 at 1000 rps (ms) | other processes\' cores during runs |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const s of sums.values()) {
    const list = (m: MeasureId, f: (x: Sample) => string) => samplesOf(r, s.info.id, m).map(f).join(', ');
    const foreign = (['tp16', 'tp64', 'lat1', 'rate'] as MeasureId[]).flatMap((m) => samplesOf(r, s.info.id, m).map((x) => x.foreign));
    out.push(`| ${s.info.id} | ${list('tp16', (x) => kilo(x.rps))} | ${list('tp64', (x) => kilo(x.rps))} | ${list('lat1', (x) => `${fmt(x.p50, 3)}/${fmt(x.p99, 3)}`)} | ${list('rate', (x) => `${fmt(x.p50, 3)}/${fmt(x.p99, 3)}`)} | max ${fmt(Math.max(...foreign), 2)} |`);
  }
  const lag = Math.max(...r.paths.flatMap((p) => samplesOf(r, p.id, 'rate').map((x) => x.sendLagP99 ?? 0)));
  out.push('');
  out.push(`Rate client's own send lag (p99 over the timetable, worst run): ${fmt(lag, 3)} ms.${r.errors.length ? ` Errors: ${r.errors.join('; ')}.` : ' No request failed.'}`);
  out.push('');
  out.push(`### Where a sidecar's time goes (CPU profile)`);
  out.push('');
  const p = r.profile;
  if (p === undefined) {
    out.push('Profiling failed in this run (see the errors above).');
  } else {
    const busyMs = p.windowMs - p.idleMs;
    out.push(`\`${p.command}\`: ${kilo(p.rps)} rps under the profiler; ${fmt(p.windowMs)} ms sampled (${p.samples} samples${p.windowed ? '' : ', whole profile: the window did not match'}), of which ${fmt(busyMs)} ms busy (${fmt((100 * busyMs) / p.windowMs)} %) and ${fmt(p.idleMs)} ms idle in epoll. Self time by function, top 15, % of busy time:`);
    out.push('');
    out.push('| # | function | where | self ms | % |');
    out.push('| --- | --- | --- | --- | --- |');
    p.top.forEach((t, i) => out.push(`| ${i + 1} | \`${t.name}\` | ${t.location || '—'} | ${fmt(t.selfMs)} | ${fmt(t.percent, 1)} |`));
    out.push('');
    out.push('Self time by where the code lives (% of busy time):');
    out.push('');
    out.push('| where | self ms | % |');
    out.push('| --- | --- | --- |');
    for (const c of p.categories) out.push(`| ${c.name} | ${fmt(c.selfMs)} | ${fmt(c.percent, 1)} |`);
  }
  return out.join('\n');
}
