/**
 * EnvoyFilter (networking.istio.io/v1alpha3), parsed for analysis only: Weft does not run it
 * (unrun-kinds.ts), but `weft analyze`'s EnvoyFilter analyzers (istioctl's IST0151–IST0155) read
 * its patches. The shape follows istio.io/api `networking/v1alpha3/envoy_filter.proto`; the check
 * is light (types of the fields analyzers read), `patch.value` is kept as written (Istio's CRD
 * preserves it unvalidated too), and problems are warnings: a resource Weft does not run never
 * stops the rest of its file from loading.
 */
import type { SchemaIssue } from './kind-info.js';

/** `EnvoyFilter.ProxyMatch`. */
export interface EnvoyFilterProxyMatch {
  readonly proxyVersion?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `EnvoyFilter.ListenerMatch` (with its filter chain, filter and sub-filter matches). */
export interface EnvoyFilterListenerMatch {
  readonly portNumber?: number;
  readonly portName?: string;
  readonly name?: string;
  readonly listenerFilter?: string;
  readonly filterChain?: {
    readonly name?: string;
    readonly sni?: string;
    readonly transportProtocol?: string;
    readonly applicationProtocols?: string;
    readonly destinationPort?: number;
    readonly filter?: { readonly name?: string; readonly subFilter?: { readonly name?: string } };
  };
}

/** `EnvoyFilter.RouteConfigurationMatch`. */
export interface EnvoyFilterRouteConfigurationMatch {
  readonly portNumber?: number;
  readonly portName?: string;
  readonly gateway?: string;
  readonly name?: string;
  readonly vhost?: { readonly name?: string; readonly domainName?: string; readonly route?: { readonly name?: string; readonly action?: string } };
}

/** `EnvoyFilter.ClusterMatch`. */
export interface EnvoyFilterClusterMatch {
  readonly portNumber?: number;
  readonly service?: string;
  readonly subset?: string;
  readonly name?: string;
}

/** `EnvoyFilter.EnvoyConfigObjectMatch`. */
export interface EnvoyFilterMatch {
  /** `ANY`, `SIDECAR_INBOUND`, `SIDECAR_OUTBOUND`, `GATEWAY` (absent: ANY). */
  readonly context?: string;
  readonly proxy?: EnvoyFilterProxyMatch;
  readonly listener?: EnvoyFilterListenerMatch;
  readonly routeConfiguration?: EnvoyFilterRouteConfigurationMatch;
  readonly cluster?: EnvoyFilterClusterMatch;
}

/** `EnvoyFilter.Patch`. */
export interface EnvoyFilterPatch {
  /** `MERGE`, `ADD`, `REMOVE`, `INSERT_BEFORE`, `INSERT_AFTER`, `INSERT_FIRST`, `REPLACE`. */
  readonly operation?: string;
  /** The Envoy config fragment, as written. */
  readonly value?: unknown;
  /** `UNSPECIFIED`, `AUTHN`, `AUTHZ`, `STATS`. */
  readonly filterClass?: string;
}

/** `EnvoyFilter.EnvoyConfigObjectPatch`. */
export interface EnvoyFilterConfigPatch {
  /** `LISTENER`, `FILTER_CHAIN`, `NETWORK_FILTER`, `HTTP_FILTER`, `ROUTE_CONFIGURATION`, `VIRTUAL_HOST`, `HTTP_ROUTE`, `CLUSTER`, `EXTENSION_CONFIG`, `BOOTSTRAP`, `LISTENER_FILTER`. */
  readonly applyTo?: string;
  readonly match?: EnvoyFilterMatch;
  readonly patch?: EnvoyFilterPatch;
}

/** An EnvoyFilter's spec. */
export interface EnvoyFilterSpec {
  readonly workloadSelector?: { readonly labels?: Readonly<Record<string, string>> };
  readonly targetRefs?: readonly { readonly group?: string; readonly kind?: string; readonly name?: string }[];
  readonly configPatches?: readonly EnvoyFilterConfigPatch[];
  /** Order among EnvoyFilters of one context (default 0; negative first). */
  readonly priority?: number;
}

type Path = readonly (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the shape of an EnvoyFilter spec (types of the fields analyzers read); issues are warnings. */
export function parseEnvoyFilterSpec(spec: unknown): { readonly spec?: EnvoyFilterSpec; readonly issues: readonly SchemaIssue[] } {
  const issues: SchemaIssue[] = [];
  const warn = (path: Path, message: string) => issues.push({ path: ['spec', ...path], message: `Schema validation error: ${message} (EnvoyFilter is not run, so this is only a warning)`, level: 'Warning', code: 'IST0106' });
  if (spec === undefined || spec === null) return { spec: {}, issues };
  if (!isObject(spec)) {
    warn([], 'spec must be an object');
    return { issues };
  }
  const str = (v: unknown, path: Path) => { if (v !== undefined && typeof v !== 'string') warn(path, 'must be a string'); };
  const num = (v: unknown, path: Path) => { if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v))) warn(path, 'must be an integer'); };
  const obj = (v: unknown, path: Path): Record<string, unknown> | undefined => {
    if (v === undefined) return undefined;
    if (!isObject(v)) warn(path, 'must be an object');
    return isObject(v) ? v : undefined;
  };
  const stringMap = (v: unknown, path: Path) => {
    const m = obj(v, path);
    if (m) for (const [k, x] of Object.entries(m)) str(x, [...path, k]);
  };
  const ws = obj(spec.workloadSelector, ['workloadSelector']);
  if (ws) stringMap(ws.labels, ['workloadSelector', 'labels']);
  num(spec.priority, ['priority']);
  if (spec.targetRefs !== undefined && !Array.isArray(spec.targetRefs)) warn(['targetRefs'], 'must be a list');
  if (spec.configPatches !== undefined && !Array.isArray(spec.configPatches)) warn(['configPatches'], 'must be a list');
  if (Array.isArray(spec.configPatches)) {
    spec.configPatches.forEach((p, i) => {
      const base = ['configPatches', i];
      const cp = obj(p, base);
      if (!cp) return;
      str(cp.applyTo, [...base, 'applyTo']);
      const match = obj(cp.match, [...base, 'match']);
      if (match) {
        str(match.context, [...base, 'match', 'context']);
        const proxy = obj(match.proxy, [...base, 'match', 'proxy']);
        if (proxy) {
          str(proxy.proxyVersion, [...base, 'match', 'proxy', 'proxyVersion']);
          stringMap(proxy.metadata, [...base, 'match', 'proxy', 'metadata']);
        }
        for (const k of ['listener', 'routeConfiguration', 'cluster']) {
          const m = obj(match[k], [...base, 'match', k]);
          if (m) num(m.portNumber, [...base, 'match', k, 'portNumber']);
        }
      }
      const patch = obj(cp.patch, [...base, 'patch']);
      if (patch) {
        str(patch.operation, [...base, 'patch', 'operation']);
        str(patch.filterClass, [...base, 'patch', 'filterClass']);
      }
    });
  }
  return issues.length > 0 ? { issues } : { spec: spec as EnvoyFilterSpec, issues };
}
