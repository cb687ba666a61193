/**
 * Reads a V8 `.cpuprofile` (as written by `node --cpu-prof`) and sums self time by function
 * (name + script + line) and by where the code lives (Weft's own code, Node's internals,
 * dependencies, GC, idle), optionally only for samples inside a time window.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One row of the summary. */
export interface SelfTimeRow {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time in the window. */
  readonly percent: number;
}

/** A profile summary. */
export interface ProfileSummary {
  readonly windowMs: number;
  /** Idle time in the window (the process waited for I/O). */
  readonly idleMs: number;
  readonly samples: number;
  readonly top: SelfTimeRow[];
  readonly categories: SelfTimeRow[];
  /** True when the window filter applied (timestamps matched the profile's clock). */
  readonly windowed: boolean;
}

function shortUrl(url: string, root: string): string {
  if (url === '') return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root)) u = u.slice(root.length).replace(/^\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) u = u.slice(nm + 'node_modules/'.length);
  return u;
}

function category(name: string, url: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program): native, outside JS';
  if (url.startsWith('node:')) return 'Node.js internals (node:*)';
  if (url.includes('/node_modules/')) return 'dependencies (node_modules)';
  if (url.includes('/dist/src/')) return "Weft's code (src/)";
  if (url.includes('/dist/bench/')) return 'benchmark harness';
  if (url === '') return 'native / builtins';
  return 'other';
}

/**
 * Summarises `file`. `windowUs` (optional) selects samples by their timestamp in the profile's
 * clock (microseconds, CLOCK_MONOTONIC like `process.hrtime`); when no sample falls inside, the
 * whole profile is used.
 */
export function summarizeCpuProfile(file: string, root: string, topN = 15, windowUs?: { from: number; to: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const times: { node: ProfileNode; at: number; dur: number }[] = [];
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const next = i + 1 < p.samples.length ? t + (p.timeDeltas[i + 1] ?? 0) : p.endTime;
    times.push({ node: byId.get(p.samples[i]!)!, at: t, dur: Math.max(0, next - t) });
  }
  let chosen = times;
  let windowed = false;
  if (windowUs) {
    const inside = times.filter((s) => s.at >= windowUs.from && s.at <= windowUs.to);
    if (inside.length > 0) {
      chosen = inside;
      windowed = true;
    }
  }
  const fn = new Map<string, { name: string; location: string; us: number }>();
  const cat = new Map<string, number>();
  let total = 0;
  for (const s of chosen) {
    const cf = s.node.callFrame;
    const name = cf.functionName || '(anonymous)';
    const location = cf.url ? `${shortUrl(cf.url, root)}:${cf.lineNumber + 1}` : '';
    const key = `${name}\u0000${location}`;
    const row = fn.get(key) ?? { name, location, us: 0 };
    row.us += s.dur;
    fn.set(key, row);
    const c = category(name, cf.url);
    cat.set(c, (cat.get(c) ?? 0) + s.dur);
    total += s.dur;
  }
  const idle = cat.get('idle') ?? 0;
  const busy = total - idle;
  const pct = (us: number) => (busy > 0 ? (100 * us) / busy : 0);
  const top = [...fn.values()]
    .filter((r) => r.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((r) => ({ name: r.name, location: r.location, selfMs: r.us / 1000, percent: pct(r.us) }));
  const categories = [...cat.entries()]
    .filter(([name]) => name !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([name, us]) => ({ name, location: '', selfMs: us / 1000, percent: pct(us) }));
  return { windowMs: total / 1000, idleMs: idle / 1000, samples: chosen.length, top, categories, windowed };
}
