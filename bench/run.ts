/**
 * `npm run bench`: runs Weft's benchmarks and writes their figures to BENCHMARKS.md (and stdout).
 * Each section says the command and the machine it ran on; figures are from this run only.
 * Sections (select with `npm run bench -- translate proxy ads`; a partial run replaces only its
 * own sections of BENCHMARKS.md): `translate` (translate-bench.ts), `proxy` (proxy-bench.ts: wrk
 * through nginx and Weft's proxies, ~6 min), `ads` (ads-bench.ts: push convergence to simulated
 * proxies), `idle` (idle-memory.ts: RSS of an idle sidecar holding a 1,000-service mesh, and what
 * its node flags cost per request), `h1-codec` (h1-codec-bench.ts: Weft's HTTP/1.1 request parser against
 * llhttp, a 1,000,000-case differential fuzz run and parse throughput). `WEFT_BENCH_QUICK=1` shortens `proxy` and `ads` for development; such output says so.
 * `WEFT_BENCH_BASELINE=<dir>` (a checkout of an earlier commit, built) runs that build's proxies beside
 * this one's in the `proxy` section, for before/after figures from one host state. Hand-written notes
 * between `<!-- notes: kept by npm run bench -->` and `<!-- /notes -->` survive a re-run of their section.
 */
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { runTranslateBench } from './translate-bench.js';
import { proxyBenchSettings, runProxyBench } from './proxy-bench.js';
import { proxyReport } from './proxy-report.js';
import { machineLine } from './lib/tools.js';
import { installInterruptCleanup } from './lib/cleanup.js';
import { adsBenchSettings, runAdsBench } from './ads-bench.js';
import { adsReport } from './ads-report.js';
import { bookinfoReport, runBookinfoBench } from './bookinfo-bench.js';
import { defaultFlagVariants, flagThroughputReport, idleMemoryReport, runFlagThroughput, runIdleMemoryBench } from './idle-memory.js';
import { h1CodecReport, runH1CodecBench } from './h1-codec-bench.js';

function section(title: string, body: string): string {
  return `## ${title}\n\n${body.trim()}\n`;
}

/** Marks around hand-written notes in a section; a re-run of the section keeps them. */
const NOTES_START = '<!-- notes: kept by npm run bench -->';
const NOTES_END = '<!-- /notes -->';

/** The hand-written note blocks of a section (marks included). */
function handNotes(sectionText: string): string[] {
  const out: string[] = [];
  let i = sectionText.indexOf(NOTES_START);
  while (i >= 0) {
    const j = sectionText.indexOf(NOTES_END, i);
    if (j < 0) break;
    out.push(sectionText.slice(i, j + NOTES_END.length));
    i = sectionText.indexOf(NOTES_START, j);
  }
  return out;
}

/** A regenerated section with the old section's notes appended. */
function withNotes(sectionText: string, notes: readonly string[]): string {
  return notes.length === 0 ? sectionText : `${sectionText.trimEnd()}\n\n${notes.join('\n\n')}\n`;
}

async function main(): Promise<void> {
  installInterruptCleanup();
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const parts: string[] = [];
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  // WEFT_BENCH_QUICK=1: short runs while developing (marked as such in the output).
  const quick = process.env['WEFT_BENCH_QUICK'] === '1';
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (want('translate')) {
    const r = runTranslateBench(1000, 10, 5);
    const budget = r.medianTranslateMs < 1000 && r.rssMB < 300 ? 'within budget' : 'OVER BUDGET';
    parts.push(
      section(
        'Translation: one sidecar, 1,000 services × 10 endpoints, 1,000 VirtualServices, 1,000 DestinationRules',
        `Command: \`npm run bench -- translate\` (bench/translate-bench.ts). Machine: ${machine}.

| step | figure |
| --- | --- |
| load + validate 4,000 documents | ${r.loadMs.toFixed(0)} ms |
| build model snapshot (${r.services} services, ${r.endpoints} endpoints across all load assignments) | ${r.snapshotMs.toFixed(0)} ms |
| translate, first run | ${r.firstTranslateMs.toFixed(0)} ms |
| translate, median of 5 warm runs | ${r.medianTranslateMs.toFixed(0)} ms |
| heap allocated by one translation (retained output) | ${r.heapMB.toFixed(0)} MB |
| process RSS after all steps | ${r.rssMB.toFixed(0)} MB |
| resources | ${r.resources.listeners} listeners, ${r.resources.routes} route configs, ${r.resources.clusters} clusters, ${r.resources.endpoints} load assignments |

Budget (issue 2): translation under 1 s and under 300 MB: **${budget}**.`,
      ),
    );
  }
  if (want('proxy')) {
    // WEFT_BENCH_BASELINE=<checkout of an earlier commit, built>: its proxies run beside this build's.
    const baseline = process.env['WEFT_BENCH_BASELINE'] || undefined;
    const r = await runProxyBench(proxyBenchSettings(quick), log, baseline);
    parts.push(section('Proxy: direct vs nginx vs Weft sidecar vs Weft gateway → sidecar (wrk, 1 KiB)', proxyReport(r, machineLine())));
  }
  if (want('bookinfo')) {
    const r = await runBookinfoBench(quick ? 4 : 10, 16);
    parts.push(section('Bookinfo: /productpage through the gateway and sidecars vs the apps called directly', bookinfoReport(r, machineLine())));
  }
  if (want('idle')) {
    const r = await runIdleMemoryBench({ settleSeconds: quick ? 5 : 20, log });
    const t = await runFlagThroughput(defaultFlagVariants(), { rounds: quick ? 1 : 3, seconds: quick ? 3 : 10, warmSeconds: quick ? 3 : 12, log });
    parts.push(section('Idle sidecar memory: 1,000 services of config', `${idleMemoryReport(r, machineLine())}\n\n${flagThroughputReport(t)}`));
  }
  if (want('h1-codec')) {
    const r = runH1CodecBench(quick, log);
    parts.push(section('HTTP/1.1 codec: Weft\'s request parser vs llhttp (differential fuzz, parse throughput)', h1CodecReport(r, machineLine())));
  }
  if (want('ads')) {
    const r = await runAdsBench(adsBenchSettings(quick), log);
    parts.push(section('ADS push: one config change to 100 and 2,000 proxies, 1,000 services × 10 endpoints', adsReport(r, machineLine())));
  }
  const text = `# Weft benchmarks\n\nFigures from the last \`npm run bench\` on this machine; every number below was produced by the command named in its section.\n\n${parts.join('\n')}`;
  process.stdout.write(text);
  if (only.length === 0 || !existsSync('BENCHMARKS.md')) writeFileSync('BENCHMARKS.md', text);
  else {
    // Partial runs replace only their own sections, keeping the hand-written notes in them.
    let current = readFileSync('BENCHMARKS.md', 'utf8');
    for (const p of parts) {
      const title = p.split('\n')[0]!;
      const start = current.indexOf(title);
      if (start < 0) current += `\n${p}`;
      else {
        const end = current.indexOf('\n## ', start + title.length);
        const old = current.slice(start, end < 0 ? undefined : end);
        current = current.slice(0, start) + withNotes(p, handNotes(old)) + (end < 0 ? '' : current.slice(end));
      }
    }
    writeFileSync('BENCHMARKS.md', current);
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
