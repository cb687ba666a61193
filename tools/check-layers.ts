/**
 * The layer check run by `npm test` before the tests: fails, naming the files, on any import cycle
 * between the top-level folders of `src/` and on any import against the order declared in
 * `tools/layers.ts`; inside `src/proxy/` it does the same for its subfolders against
 * `PROXY_LAYERS` (an import from a lower subfolder to a higher one, or a cycle between subfolders,
 * fails; the files directly in `src/proxy/` are the top layer).
 *
 * Usage: `node dist/tools/check-layers.js [SRC_DIR]` (default: the repository's `src/`); exit 0 when
 * clean, 1 with one line per problem otherwise.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanImports } from './import-scan.js';
import { LAYERS, LAYER_EXCEPTIONS, PROXY_LAYERS, type LayerException } from './layers.js';
import { isTestCode } from './test-code.js';

/** One import from a file of `src/` to another, paths relative to `src/` with `/`. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly line: number;
}

/** What the check found. */
export interface LayerReport {
  /** Cycles between top-level folders: each the folders of one strongly connected set, and the imports that close it. */
  readonly cycles: readonly { readonly folders: readonly string[]; readonly edges: readonly ImportEdge[] }[];
  /** Imports from a folder to one that is not strictly lower (and not an exception). */
  readonly violations: readonly ImportEdge[];
  /** Top-level folders of `src/` that `LAYERS` does not place. */
  readonly undeclared: readonly string[];
  /** Exceptions that no longer match any import (stale, to delete). */
  readonly unusedExceptions: readonly LayerException[];
  /** Cycles between subfolders of `src/proxy/` (`proxy` is its own top-level files). */
  readonly proxyCycles: readonly { readonly folders: readonly string[]; readonly edges: readonly ImportEdge[] }[];
  /** Imports from a subfolder of `src/proxy/` to one that is not strictly lower in `PROXY_LAYERS`. */
  readonly proxyViolations: readonly ImportEdge[];
  /** Subfolders of `src/proxy/` that `PROXY_LAYERS` does not place (as `proxy/<name>`). */
  readonly proxyUndeclared: readonly string[];
}

/** Production `.ts` files under `dir` (test code as `tools/test-code.ts` defines it, and declarations, left out), relative, sorted. */
export function productionFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !isTestCode(child)) files.push(child);
    }
  };
  walk('');
  return files.sort();
}

/** Every relative import between production files of `srcDir` (NodeNext: `./x.js` names `./x.ts`). */
export function importEdges(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of productionFiles(srcDir)) {
    for (const ref of scanImports(readFileSync(path.join(srcDir, from), 'utf8'))) {
      if (!ref.specifier.startsWith('.')) continue; // packages and node: built-ins
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), ref.specifier));
      if (target.startsWith('..')) continue; // outside src/ (e.g. package.json)
      const ts = target.replace(/\.js$/, '.ts');
      edges.push({ from, to: existsSync(path.join(srcDir, ts)) ? ts : target, line: ref.line });
    }
  }
  return edges;
}

/** The top-level folder of a path relative to `src/` (`.` for a file directly in `src/`). */
function topFolder(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? '.' : file.slice(0, slash);
}

/** The subfolder of `proxy/` a file sits in (`proxy` for its top-level files), or undefined outside it. */
function proxyFolder(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'proxy') return undefined;
  return parts.length > 2 ? `proxy/${parts[1]}` : 'proxy';
}

/** Strongly connected sets of two or more nodes (Tarjan), each sorted; the sets sorted by first node. */
export function stronglyConnected(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sets: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) sets.push(set.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return sets.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Cycles among the groups `groupOf` puts files in, with the imports inside each cycle. */
function groupCycles(edges: readonly ImportEdge[], groupOf: (file: string) => string | undefined) {
  const graph = new Map<string, Set<string>>();
  const crossing: { edge: ImportEdge; a: string; b: string }[] = [];
  for (const edge of edges) {
    const a = groupOf(edge.from);
    const b = groupOf(edge.to);
    if (a === undefined || b === undefined || a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
    crossing.push({ edge, a, b });
  }
  return stronglyConnected(graph).map((folders) => {
    const members = new Set(folders);
    return { folders, edges: crossing.filter((c) => members.has(c.a) && members.has(c.b)).map((c) => c.edge) };
  });
}

/** Runs the check over `srcDir` with the given orders and exceptions (the declared ones by default). */
export function checkLayers(
  srcDir: string,
  layers: readonly (readonly string[])[] = LAYERS,
  exceptions: readonly LayerException[] = LAYER_EXCEPTIONS,
  proxyLayers: readonly (readonly string[])[] = PROXY_LAYERS,
): LayerReport {
  const edges = importEdges(srcDir);
  const rank = new Map<string, number>();
  layers.forEach((folders, height) => folders.forEach((f) => rank.set(f, height)));
  const folders = new Set(productionFiles(srcDir).map(topFolder));
  const undeclared = [...folders].filter((f) => !rank.has(f)).sort();
  const used = new Set<LayerException>();
  const excepted = (edge: ImportEdge): boolean => {
    const match = exceptions.find((x) => x.from === edge.from && x.to === edge.to);
    if (match !== undefined) used.add(match);
    return match !== undefined;
  };
  const violations = edges.filter((edge) => {
    const a = topFolder(edge.from);
    const b = topFolder(edge.to);
    if (a === b || !rank.has(a) || !rank.has(b)) return false;
    return rank.get(b)! >= rank.get(a)! && !excepted(edge);
  });
  // Inside src/proxy/: subfolders by PROXY_LAYERS, its own top-level files (`proxy`) above them all.
  const proxyRank = new Map<string, number>([['proxy', proxyLayers.length]]);
  proxyLayers.forEach((subs, height) => subs.forEach((f) => proxyRank.set(`proxy/${f}`, height)));
  const proxyFolders = new Set(productionFiles(srcDir).map(proxyFolder).filter((f) => f !== undefined));
  const proxyUndeclared = [...proxyFolders].filter((f) => !proxyRank.has(f)).sort();
  const proxyViolations = edges.filter((edge) => {
    const a = proxyFolder(edge.from);
    const b = proxyFolder(edge.to);
    if (a === undefined || b === undefined || a === b || !proxyRank.has(a) || !proxyRank.has(b)) return false;
    return proxyRank.get(b)! >= proxyRank.get(a)!;
  });
  return {
    cycles: groupCycles(edges, topFolder),
    violations,
    undeclared,
    unusedExceptions: exceptions.filter((x) => !used.has(x)),
    proxyCycles: groupCycles(edges, proxyFolder),
    proxyViolations,
    proxyUndeclared,
  };
}

/** The report as lines for a terminal; `ok` is false when the check must fail. */
export function formatReport(report: LayerReport): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  const edgeLine = (e: ImportEdge): string => `    src/${e.from}:${e.line} imports src/${e.to}`;
  for (const f of report.undeclared) lines.push(`layers: folder src/${f}/ is not placed in tools/layers.ts`);
  for (const c of report.cycles) {
    lines.push(`layers: import cycle between folders ${c.folders.join(' ↔ ')}:`);
    lines.push(...c.edges.map(edgeLine));
  }
  if (report.violations.length > 0) lines.push('layers: imports against the order in tools/layers.ts (a folder may import only from lower layers):');
  lines.push(...report.violations.map(edgeLine));
  for (const x of report.unusedExceptions) lines.push(`layers: exception ${x.from} → ${x.to} in tools/layers.ts matches no import; delete it`);
  for (const f of report.proxyUndeclared) lines.push(`layers: folder src/${f}/ is not placed in PROXY_LAYERS (tools/layers.ts)`);
  for (const c of report.proxyCycles) {
    lines.push(`layers: import cycle between src/proxy subfolders ${c.folders.join(' ↔ ')}:`);
    lines.push(...c.edges.map(edgeLine));
  }
  if (report.proxyViolations.length > 0) {
    lines.push('layers: imports against PROXY_LAYERS in tools/layers.ts (a src/proxy subfolder may import only from lower ones):');
  }
  lines.push(...report.proxyViolations.map(edgeLine));
  const ok = lines.length === 0;
  if (ok) lines.push('layers: no import cycle between src/ folders or src/proxy subfolders; every import follows tools/layers.ts');
  return { ok, lines };
}

/** CLI entry: `node dist/tools/check-layers.js [SRC_DIR]`. */
function main(): void {
  const defaultSrc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
  const { ok, lines } = formatReport(checkLayers(path.resolve(process.argv[2] ?? defaultSrc)));
  for (const line of lines) (ok ? console.log : console.error)(line);
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
