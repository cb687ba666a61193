/**
 * Child process of the idle-memory benchmark (idle-memory.ts): one Weft sidecar (`startProxy`,
 * exactly what `weft proxy` runs) that prints `READY {json}` once its config arrived, then answers
 * commands on stdin, one per line, with one `STATS {json}` line each:
 * - `stats`: process.memoryUsage(), v8 heap statistics and heap spaces, /proc VmRSS/VmHWM;
 * - `gc`: a full GC first (needs `--expose-gc`), then stats;
 * - `snapshot FILE`: writes a heap snapshot to FILE, then stats;
 * - `smaps FILE`: copies /proc/self/smaps to FILE, then stats.
 * SIGTERM stops the proxy and exits 0.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { startProxy } from '../src/proxy/proxy.js';

/** What the parent passes as JSON in argv[2]. */
export interface IdleChildOptions {
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly xds: string;
  /** Ready once at least this many clusters are configured. */
  readonly waitClusterCount: number;
  /** Ready once this many load assignments are accepted. */
  readonly waitEndpointCount: number;
}

/** The `STATS` line's payload (sizes in MiB). */
export interface IdleChildStats {
  readonly rssMB: number;
  readonly hwmMB: number;
  /** Anonymous (heap, malloc) and file-backed (the node binary's pages, shared) parts of RSS. */
  readonly rssAnonMB: number;
  readonly rssFileMB: number;
  readonly heapUsedMB: number;
  readonly heapTotalMB: number;
  readonly externalMB: number;
  readonly arrayBuffersMB: number;
  /** V8's committed physical memory of the heap. */
  readonly heapPhysicalMB: number;
  readonly mallocedMB: number;
  readonly peakMallocedMB: number;
  readonly spaces: Record<string, { usedMB: number; committedMB: number }>;
  readonly clusters: number;
  readonly endpoints: number;
  readonly builtClusters: number;
}

const MB = 1024 * 1024;

function procMB(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as IdleChildOptions;
  const proxy = await startProxy({
    role: 'sidecar', ip: o.ip, podName: o.podName, namespace: o.namespace, labels: o.labels, xds: o.xds,
    outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0, bindPort: () => 0,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.on('SIGTERM', () => void proxy.stop(500).finally(() => process.exit(0)));
  await proxy.ready();
  const met = () => {
    const r = proxy.snapshot().resources;
    return proxy.snapshot().clusters.size >= o.waitClusterCount && r.endpoints.size >= o.waitEndpointCount;
  };
  while (!met()) await new Promise((r) => setTimeout(r, 50));
  const stats = (): IdleChildStats => {
    const mu = process.memoryUsage();
    const hs = v8.getHeapStatistics();
    const spaces: IdleChildStats['spaces'] = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { usedMB: s.space_used_size / MB, committedMB: s.physical_space_size / MB };
    const snap = proxy.snapshot();
    return {
      rssMB: procMB('VmRSS'), hwmMB: procMB('VmHWM'), rssAnonMB: procMB('RssAnon'), rssFileMB: procMB('RssFile'), heapUsedMB: mu.heapUsed / MB, heapTotalMB: mu.heapTotal / MB,
      externalMB: mu.external / MB, arrayBuffersMB: mu.arrayBuffers / MB, heapPhysicalMB: hs.total_physical_size / MB,
      mallocedMB: hs.malloced_memory / MB, peakMallocedMB: hs.peak_malloced_memory / MB, spaces,
      clusters: snap.clusters.size, endpoints: snap.resources.endpoints.size, builtClusters: [...snap.clusters.built()].length,
    };
  };
  process.stdout.write(`READY ${JSON.stringify({ admin: proxy.adminPort, clusters: proxy.snapshot().clusters.size })}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/, 2);
    if (cmd === 'gc') (globalThis as { gc?: () => void }).gc?.();
    if (cmd === 'snapshot' && arg) v8.writeHeapSnapshot(arg);
    if (cmd === 'smaps' && arg) writeFileSync(arg, readFileSync('/proc/self/smaps'));
    process.stdout.write(`STATS ${JSON.stringify(stats())}\n`);
  });
}

main().catch((err) => {
  process.stderr.write(`idle-memory-child failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
