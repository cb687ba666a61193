/**
 * Markdown for the ADS push benchmark's BENCHMARKS.md section: one row per scenario, the budget
 * lines (issue 3: 100 simulated (light) proxies p99 < 1 s, the full-client figure beside it; design.md §8b: 2,000 proxies p99 ≤ 1 s, ≤ 0.5 vCPU steady,
 * ≤ 500 MB) marked met / not met / not measured, and what each scenario's mode means.
 */
import type { AdsBenchResult, AdsScenarioResult } from './ads-bench.js';
import { fmt, verdict } from './lib/stats.js';

function scenarioLabel(r: AdsScenarioResult): string {
  const s = r.scenario;
  const cp = s.mode === 'control-plane' ? '`ControlPlane` as shipped' : '`AdsServer`, one translation served to all proxies';
  const cl = s.kind === 'full' ? '`AdsClient` (decoding)' : 'light raw-stream clients';
  const tr = s.transport === 'tls' ? 'mTLS on the CA port, a connection each' : `plaintext debug port, ${s.ownConnections ? 'a connection each' : 'one shared connection'}`;
  return `${cp}; ${s.clients} × ${cl}${s.rampPerSecond ? ` (connecting ${s.rampPerSecond}/s)` : ''}; ${tr}`;
}

/** Renders the section body (the title is added by run.ts). */
export function adsReport(r: AdsBenchResult, machine: string): string {
  const st = r.settings;
  const out: string[] = [];
  out.push(`Command: \`npm run bench -- ads\` (bench/ads-bench.ts${st.quick ? ', **WEFT_BENCH_QUICK=1: fewer proxies, not budget figures**' : ''}). Machine: ${machine}. ${r.loadAtStart} at start; section took ${fmt(r.elapsedSeconds)} s.`);
  out.push('');
  out.push(`Mesh: bench/mesh-generator.ts with ${st.services} services × ${st.replicas} endpoints (Deployments, VirtualServices with a header match and a 90/10 split, DestinationRules with subsets) in a watched directory. The control plane runs alone in one child process (\`node --max-old-space-size=${st.heapMB}\`; CPU and RSS from /proc), the simulated proxies in another, each proxy on its own gRPC channel to 127.0.0.1, as a distinct pod of the mesh (its own node id, labels, namespace). After every proxy has its first config, a quiet ${st.quietSeconds} s, and ${st.steadySeconds} s over which steady CPU is measured, the change — svc0's VirtualService split 90/10 → 80/20 — is applied through the config store (\`ConfigStore.apply\`, what \`weft apply\` calls; 100 ms debounce included), and each proxy's latency is measured from just before that call to the moment it accepted (ACKed) its new RouteConfiguration; both processes read CLOCK_MONOTONIC. A scenario stops early if the two processes together pass ${st.memoryLimitMB} MB RSS or the machine gets short of memory.`);
  out.push('');
  out.push('Processes per scenario:');
  out.push('');
  out.push('```');
  out.push(`node --max-old-space-size=${st.heapMB} --expose-gc dist/bench/ads-control-child.js '{"mode":"control-plane"|"shared","transport":"tls"|"plain","dir":<mesh dir>,"nodes":N,…}'`);
  out.push(`node --max-old-space-size=${st.heapMB} dist/bench/ads-clients-child.js <options.json: kind full|light, the N node identities, rampPerSecond, with TLS the certificates file>`);
  out.push('```');
  out.push('');
  out.push('Transport (last part of each scenario): **mTLS** is what ships — the control plane runs its mesh CA (state in a temp directory) and serves ADS only on the CA\'s TLS port; before the clients start it issues one workload certificate per proxy (fresh P-256 key, SPIFFE identity `spiffe://cluster.local/ns/<ns>/sa/<sa>` of the pod the proxy claims to be), and every proxy dials with its own certificate, so each stream is authenticated and authorized against its node and is served its SDS view; each proxy then has its own TLS connection. **Plaintext** is the debug port (`insecureXdsPort`, `WEFT_BENCH_ADS_SCENARIOS=…:plain`), unauthenticated, as before the xDS security work; there @grpc/grpc-js puts all the proxies\' channels on one shared HTTP/2 connection (`…:plain-conn` gives each its own).');
  out.push('');
  out.push('Scenarios: **ControlPlane as shipped** is the real pipeline (config store → model snapshot → translation, shared per scope and cached across snapshots → ADS server). **One translation served to all** (`shared`, not run by default) is the same store and snapshot behind an `AdsServer` whose provider translates once per snapshot for one representative sidecar. **Light** clients are the simulated ADS clients of the budget lines: a raw ADS stream per proxy that subscribes as a sidecar does, ACKs without decoding, and has an HTTP/2 window of 256 MiB (Envoy\'s default for its xDS stream); after the run each distinct RouteConfiguration a light client accepted is decoded and checked for the new 80/20 split. **`AdsClient`** is Weft\'s proxy-side client as shipped (decodes every resource, 64 KiB default window, checks the 80/20 split before its ACK counts); 100 of them share one process and one core, so their figure is mostly client-side decoding.');
  out.push('');
  out.push('| scenario | initial sync | change → accepted p50 / p99 / max (ms) (checked) | received p99 (ms) | CP CPU for the push | CP steady CPU | CP RSS after / peak | CP heap / external after GC | clients RSS |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of r.results) {
    if (!x.ok && !x.accepted) {
      out.push(`| ${scenarioLabel(x)} | ${x.error ?? 'failed'} | — | — | — | — | — | — | — |`);
      continue;
    }
    const ps = x.pushStats ?? {};
    out.push(`| ${scenarioLabel(x)} | ${fmt((x.syncMs ?? NaN) / 1000, 1)} s (CP ${fmt(x.cpSyncCpuS, 1)} CPU-s) | ${fmt(x.accepted?.p50)} / ${fmt(x.accepted?.p99)} / ${fmt(x.accepted?.max)}${x.missing ? ` (${x.missing} never)` : ''} (${x.verified ?? '?'} of ${x.scenario.clients} carry 80/20) | ${fmt(x.received?.p99)} | ${fmt(x.cpPushCpuS, 2)} CPU-s | ${fmt(x.cpSteadyCores, 2)} cores | ${fmt(x.cpRssAfterMB)} / ${fmt(x.cpHwmMB)} MB | ${fmt(ps['heapUsedMB'])} / ${fmt(ps['externalMB'])} MB | ${fmt(x.clientsRssMB)} MB |`);
  }
  const shared = r.results.filter((x) => x.scenario.mode === 'shared' && x.pushStats?.['lastPushMs'] !== undefined);
  if (shared.length) {
    out.push('');
    out.push(`Translation-shared runs, inside the control plane: ${shared.map((x) => `${x.scenario.clients} ${x.scenario.kind} proxies — translate ${fmt(x.pushStats!['lastTranslateMs'])} ms, synchronous \`push()\` ${fmt(x.pushStats!['lastPushMs'])} ms`).join('; ')}.`);
  }
  const foreign = r.results.map((x) => x.foreign).filter((f): f is number => f !== undefined);
  if (foreign.length) out.push('', `Other processes on the machine used up to ${fmt(Math.max(...foreign), 2)} cores during the pushes.`);
  out.push('');
  const shipped100 = r.results.find((x) => x.scenario.mode === 'control-plane' && x.scenario.kind === 'light' && x.scenario.clients >= 100 && x.scenario.clients < 2000);
  const full100 = r.results.find((x) => x.scenario.mode === 'control-plane' && x.scenario.kind === 'full' && x.scenario.clients >= 100);
  const big = r.results.find((x) => x.scenario.clients >= 2000);
  const bigMode = big?.scenario.mode === 'control-plane' ? 'ControlPlane as shipped' : 'one translation served to all';
  out.push('Budget:');
  out.push('');
  out.push('| budget line | measured | verdict |');
  out.push('| --- | --- | --- |');
  if (shipped100?.accepted) {
    out.push(`| issue 3: a config change reaches 100 connected ADS clients (light, simulated) in < 1 s, p99 (ControlPlane as shipped) | p99 ${fmt(shipped100.accepted.p99)} ms | ${verdict(shipped100.ok && shipped100.accepted.p99 < 1000)} |`);
    if (full100?.accepted) out.push(`| (for comparison, not the budget line) the same with 100 decoding \`AdsClient\`s in one process | p99 ${fmt(full100.accepted.p99)} ms | client-bound |`);
  } else {
    out.push(`| issue 3: a config change reaches 100 connected ADS clients in < 1 s, p99 | ${shipped100?.error ?? 'not run in this mode'} | ${shipped100 ? verdict(false) : 'not measured'} |`);
  }
  if (big?.accepted) {
    const ok = big.ok && big.accepted.p99 <= 1000;
    out.push(`| §8b: 2,000 proxies, push convergence p99 ≤ 1 s | p99 ${fmt(big.accepted.p99)} ms (${bigMode}) | ${verdict(ok)} |`);
    out.push(`| §8b: ≤ 0.5 vCPU steady | ${fmt(big.cpSteadyCores, 2)} cores | ${verdict((big.cpSteadyCores ?? 1) <= 0.5)} |`);
    out.push(`| §8b: ≤ 500 MB | ${fmt(big.cpRssAfterMB)} MB RSS (peak ${fmt(big.cpHwmMB)}) | ${verdict((big.cpHwmMB ?? Infinity) <= 500)} |`);
  } else {
    out.push(`| §8b: 2,000 proxies: p99 ≤ 1 s, ≤ 0.5 vCPU steady, ≤ 500 MB | ${big ? `did not complete: ${big.error}` : st.quick ? 'not run (quick mode)' : 'not run in this invocation (WEFT_BENCH_ADS_SCENARIOS)'} | ${big ? verdict(false) : 'not measured'} |`);
  }
  return out.join('\n');
}
