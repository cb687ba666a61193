/**
 * A minimal, typed view of Istio's EnvoyFilter (networking.istio.io/v1alpha3) for analysis only.
 * Weft does not run EnvoyFilters; `weft analyze` still checks their patches as istioctl does
 * (istio/istio `pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go`). The view reads the
 * resource's spec whether the loader hands it over as raw YAML (enum names as strings) or typed
 * (enum numbers, as protobuf JSON may carry them), and never throws on malformed input: fields of
 * the wrong type read as absent.
 */
import type { TargetRefView } from './views.js';

/** EnvoyFilter.ApplyTo names by protobuf number (istio.io/api networking/v1alpha3/envoy_filter.proto). */
const APPLY_TO = [
  'INVALID', 'LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'ROUTE_CONFIGURATION',
  'VIRTUAL_HOST', 'HTTP_ROUTE', 'CLUSTER', 'EXTENSION_CONFIG', 'BOOTSTRAP', 'LISTENER_FILTER',
] as const;

/** EnvoyFilter.Patch.Operation names by protobuf number (same proto). */
const OPERATIONS = ['INVALID', 'MERGE', 'ADD', 'REMOVE', 'INSERT_BEFORE', 'INSERT_AFTER', 'INSERT_FIRST', 'REPLACE'] as const;

/** One `configPatches[]` entry, as far as analysis reads it. */
export interface EnvoyFilterPatchView {
  /** Index in `spec.configPatches` (for locating messages). */
  readonly index: number;
  /** `applyTo`, upper case; `INVALID` when unset (Istio's zero value). */
  readonly applyTo: string;
  /** `match.context` when set. */
  readonly context?: string;
  /** `match.proxy.proxyVersion` when set and non-empty. */
  readonly proxyVersion?: string;
  /** `match.listener.filterChain.filter.name` when set. */
  readonly listenerFilterName?: string;
  /** The `patch` section, absent when the entry has none. */
  readonly patch?: {
    /** `operation`, upper case; `INVALID` when unset. */
    readonly operation: string;
    /** `value` when it is an object (Istio's `google.protobuf.Struct`). */
    readonly value?: Readonly<Record<string, unknown>>;
  };
}

/** The EnvoyFilter spec, as far as analysis reads it. */
export interface EnvoyFilterView {
  /** `priority`; 0 when unset (Istio's default). */
  readonly priority: number;
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly targetRefs: readonly TargetRefView[];
  readonly configPatches: readonly EnvoyFilterPatchView[];
}

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An enum read from a name (any case) or a protobuf number; `INVALID` when unset or unknown. */
function enumName(v: unknown, names: readonly string[]): string {
  if (typeof v === 'number' && Number.isInteger(v)) return names[v] ?? 'INVALID';
  if (typeof v === 'string') return v.toUpperCase();
  return 'INVALID';
}

function stringMap(v: unknown): Readonly<Record<string, string>> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function patchView(raw: unknown, index: number): EnvoyFilterPatchView {
  const p = obj(raw) ?? {};
  const match = obj(p.match);
  const proxyVersion = str(obj(match?.proxy)?.proxyVersion);
  const patch = obj(p.patch);
  return {
    index,
    applyTo: enumName(p.applyTo, APPLY_TO),
    context: match?.context === undefined ? undefined : String(match.context),
    proxyVersion: proxyVersion ? proxyVersion : undefined,
    listenerFilterName: str(obj(obj(obj(match?.listener)?.filterChain)?.filter)?.name),
    patch: patch ? { operation: enumName(patch.operation, OPERATIONS), value: obj(patch.value) } : undefined,
  };
}

/** Reads an EnvoyFilter's spec (raw or typed) into the analysis view. */
export function envoyFilterView(spec: unknown): EnvoyFilterView {
  const s = obj(spec) ?? {};
  const priority = typeof s.priority === 'number' && Number.isFinite(s.priority) ? Math.trunc(s.priority) : 0;
  const ws = obj(s.workloadSelector);
  const refs = [...(Array.isArray(s.targetRefs) ? s.targetRefs : [])].filter(isObj).map((r) => ({
    group: str(r.group), kind: str(r.kind), name: str(r.name), namespace: str(r.namespace),
  }));
  const patches = Array.isArray(s.configPatches) ? s.configPatches : [];
  return {
    priority,
    workloadSelector: ws ? { labels: stringMap(ws.labels) } : undefined,
    targetRefs: refs,
    configPatches: patches.map(patchView),
  };
}
