/**
 * One `weft analyze` run, independent of the CLI: load the paths, build the snapshot (with the
 * built-in ingress gateway), run the analyzers, merge the loader's diagnostics (YAML syntax,
 * unknown kinds, duplicates, IST0106 schema errors, IST0002 deprecations) into the same list, then
 * filter and sort as istioctl does.
 */
import type { Diagnostic, Level } from '../config/diagnostic.js';
import type { LoadResult } from '../config/load.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';
import { buildSnapshot } from '../model/snapshot.js';
import { defaultIngressResources, INTERNAL_INGRESS_FILE } from './defaults.js';
import { filterMessages, type Suppression } from './filter.js';
import { atLeast } from './format.js';
import { runAnalyzers, sortedDeduped } from './run-analyzers.js';
import { Messages } from './messages.js';
import { namespaceWarnings } from '../config/namespaces.js';

const ANALYZER_CODES = new Set([Messages.VirtualServiceUnreachableRule.code, Messages.VirtualServiceIneffectiveMatch.code]);

/** Options of one analysis. */
export interface AnalyzeOptions {
  readonly meshConfig?: MeshConfig;
  /** Keep messages of this namespace only; undefined = all namespaces. */
  readonly namespace?: string;
  readonly suppressions?: readonly Suppression[];
  /** Drop messages below this level from the output (the failure check still sees them). */
  readonly outputThreshold?: Level;
}

/** Result: messages to print, and every message (for the failure threshold). */
export interface AnalyzeResult {
  readonly messages: readonly Diagnostic[];
  readonly all: readonly Diagnostic[];
}

/** Analyzes already-loaded configuration. */
export function analyzeLoaded(loaded: LoadResult, opts: AnalyzeOptions = {}): AnalyzeResult {
  const meshConfig = opts.meshConfig ?? DEFAULT_MESH_CONFIG;
  // Kinds Weft parses but does not run (EnvoyFilter) are analyzed too: `ctx.list('EnvoyFilter')`.
  const resources = [...loaded.resources, ...(loaded.notRun ?? []), ...defaultIngressResources(loaded.resources, meshConfig)];
  const snapshot = buildSnapshot({ resources, meshConfig });
  const found = runAnalyzers(snapshot).filter((m) => m.source?.file !== INTERNAL_INGRESS_FILE);
  // The loader's VirtualService checks also flag unreachable rules; the analyzer reports them with
  // istioctl's analyzer text, so only its messages are kept.
  // Plus WFT0021: resources in a namespace no Namespace resource defines (config/namespaces.ts).
  const loadMessages = [...loaded.diagnostics.filter((d) => !ANALYZER_CODES.has(d.code)), ...namespaceWarnings(loaded.resources)];
  const all = filterMessages(sortedDeduped([...loadMessages, ...found]), {
    namespace: opts.namespace,
    suppressions: opts.suppressions ?? [],
    snapshot,
  });
  const threshold = opts.outputThreshold ?? 'Info';
  return { messages: all.filter((m) => atLeast(m.level, threshold)), all };
}
