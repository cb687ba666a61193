/**
 * Route metadata naming where a route came from. istiod writes the VirtualService's config path under
 * `filterMetadata.istio.config`; Weft adds `filterMetadata.weft` with the VirtualService
 * (`namespace/name`), the http rule index and the match index, so `weft explain` and the simulator can
 * say which rule matched. Also the trace decorator istiod writes (`host:port/path*`).
 */
import type { Metadata, Struct } from '../../envoy/types/core.js';
import type { Route } from '../../envoy/types/route.js';
import { parseClusterName } from '../cluster/cluster-names.js';

/** Where a route came from. */
export interface RouteOrigin {
  /** `namespace/name` of the VirtualService. */
  readonly virtualService: string;
  /** Index of the rule in `spec.http` (or `spec.tcp`/`spec.tls`). */
  readonly rule: number;
  /** Index of the match block inside the rule; -1 when the rule has no match blocks. */
  readonly match: number;
}

/** Builds the metadata of a route translated from a VirtualService rule. */
export function buildRouteMetadata(namespace: string, name: string, rule: number, match: number): Metadata {
  return {
    filterMetadata: {
      istio: { fields: { config: { stringValue: `/apis/networking.istio.io/v1alpha3/namespaces/${namespace}/virtual-service/${name}` } } },
      weft: {
        fields: {
          virtualService: { stringValue: `${namespace}/${name}` },
          rule: { numberValue: rule },
          match: { numberValue: match },
        },
      },
    },
  };
}

/** Reads a route's origin back from its metadata; undefined for default and catch-all routes. */
export function routeOrigin(metadata: Metadata | undefined): RouteOrigin | undefined {
  const weft: Struct | undefined = metadata?.filterMetadata?.weft;
  const vs = weft?.fields?.virtualService?.stringValue;
  if (!vs) return undefined;
  return { virtualService: vs, rule: weft?.fields?.rule?.numberValue ?? 0, match: weft?.fields?.match?.numberValue ?? 0 };
}

/** `host:port/*`: istiod's trace operation for a service port. */
export function traceOperation(host: string, port: number): string {
  return `${host}:${port}/*`;
}

/**
 * istiod's GetRouteOperation: `host:port` of the single destination cluster, else `vsName:port`,
 * followed by the path (`prefix*`, the exact path, the regex, or `/*`).
 */
export function routeOperation(route: Route, vsName: string, port: number): string {
  const m = route.match;
  const path = m?.prefix !== undefined ? `${m.prefix}*` : m?.path !== undefined ? m.path : m?.safeRegex?.regex !== undefined ? m.safeRegex.regex : '/*';
  const parsed = route.route?.cluster ? parseClusterName(route.route.cluster) : undefined;
  if (parsed && parsed.direction === 'outbound') return `${parsed.host}:${parsed.port}${path}`;
  return `${vsName}:${port}${path}`;
}
