/**
 * Envoy's request/response header mutations (`requestHeadersToAdd/Remove`,
 * `responseHeadersToAdd/Remove` on route configurations, virtual hosts, routes and weighted
 * clusters), compiled once per config object and applied to Node header objects. Values are
 * literal: Envoy's `%VAR%` substitutions are not interpreted yet. Shared by the proxy's router and
 * upstream response path and by the simulator, which reports the mutations a request gets.
 */
import type { HeaderValueOption, Route, RouteConfiguration, VirtualHost } from './types.js';

/** Node-style mutable headers (lower-case names). */
export type MutableHeaders = Record<string, string | string[] | number | undefined>;

/** A compiled list of removals then additions. */
export interface HeaderOps {
  readonly remove: readonly string[];
  readonly add: readonly { readonly name: string; readonly value: string; readonly mode: 0 | 1 | 2 }[];
}

const APPEND = 0;
const ADD_IF_ABSENT = 1;
const OVERWRITE = 2;

const caches = [new WeakMap<object, HeaderOps | null>(), new WeakMap<object, HeaderOps | null>()] as const;

/** Which list of an owner: request (0) or response (1) mutations. */
export type HeaderOpsKind = 0 | 1;

/** Compiles (and caches per `owner` and `kind`) a pair of add/remove lists; undefined when both are empty. */
export function headerOps(owner: object, kind: HeaderOpsKind, add: readonly HeaderValueOption[] | undefined, remove: readonly string[] | undefined): HeaderOps | undefined {
  const cache = caches[kind];
  const hit = cache.get(owner);
  if (hit !== undefined) return hit ?? undefined;
  let ops: HeaderOps | null = null;
  if ((add && add.length) || (remove && remove.length)) {
    ops = {
      remove: (remove ?? []).map((n) => n.toLowerCase()),
      add: (add ?? []).flatMap((o) => {
        const name = o.header?.key?.toLowerCase();
        if (!name) return [];
        const value = o.header?.value ?? '';
        const mode = o.append !== undefined
          ? (o.append.value === true ? APPEND : OVERWRITE)
          : o.appendAction === 'ADD_IF_ABSENT' ? ADD_IF_ABSENT
          : o.appendAction === 'OVERWRITE_IF_EXISTS_OR_ADD' || o.appendAction === 'OVERWRITE_IF_EXISTS' ? OVERWRITE : APPEND;
        return [{ name, value, mode: mode as 0 | 1 | 2 }];
      }),
    };
  }
  cache.set(owner, ops);
  return ops ?? undefined;
}

/** Applies compiled ops to a header object in place. */
export function applyHeaderOps(ops: HeaderOps | undefined, headers: MutableHeaders): void {
  if (ops === undefined) return;
  for (const name of ops.remove) delete headers[name];
  for (const { name, value, mode } of ops.add) {
    const cur = headers[name];
    if (cur === undefined || mode === OVERWRITE) headers[name] = value;
    else if (mode === APPEND) headers[name] = Array.isArray(cur) ? [...cur, value] : name === 'set-cookie' ? [String(cur), value] : `${String(cur)},${value}`;
  }
}

/** The request header mutations of a routed request, as flat lists (what the simulator and `weft explain` report). */
export interface RequestHeaderMutations {
  readonly add: readonly HeaderValueOption[];
  readonly remove: readonly string[];
}

/** A config object that carries request header mutations (RouteConfiguration, VirtualHost, Route, weighted cluster). */
export interface RequestHeaderMutator {
  readonly requestHeadersToAdd?: readonly HeaderValueOption[];
  readonly requestHeadersToRemove?: readonly string[];
}

/**
 * Applies a routed request's header mutations in place, as the proxy's router does: the route
 * configuration's, the virtual host's, the route's, then the chosen weighted cluster's, each level's
 * removals before its additions (compiled and cached per config object). Note that this is the
 * reverse of Envoy's default order (most specific first, as {@link applyResponseHeaderMutations}
 * does), so here the most specific level wins a header set at several; kept as the proxy has it.
 */
export function applyRequestHeaderMutations(headers: MutableHeaders, rc: RequestHeaderMutator | undefined, vh: RequestHeaderMutator, route: RequestHeaderMutator, cw: RequestHeaderMutator | undefined): void {
  if (rc !== undefined) applyHeaderOps(headerOps(rc, 0, rc.requestHeadersToAdd, rc.requestHeadersToRemove), headers);
  applyHeaderOps(headerOps(vh, 0, vh.requestHeadersToAdd, vh.requestHeadersToRemove), headers);
  applyHeaderOps(headerOps(route, 0, route.requestHeadersToAdd, route.requestHeadersToRemove), headers);
  if (cw !== undefined) applyHeaderOps(headerOps(cw, 0, cw.requestHeadersToAdd, cw.requestHeadersToRemove), headers);
}

/** A config object that carries response header mutations (RouteConfiguration, VirtualHost, Route, weighted cluster). */
export interface ResponseHeaderMutator {
  readonly responseHeadersToAdd?: readonly HeaderValueOption[];
  readonly responseHeadersToRemove?: readonly string[];
}

/**
 * Applies a routed response's header mutations in place, as Envoy's router does by default
 * (`most_specific_header_mutations_wins` false, route_components.proto): most specific first, the
 * chosen weighted cluster's, the route's, the virtual host's, then the route configuration's, so
 * the least specific level wins a header set at several.
 */
export function applyResponseHeaderMutations(headers: MutableHeaders, cw: ResponseHeaderMutator | undefined, route: ResponseHeaderMutator, vh: ResponseHeaderMutator, rc: ResponseHeaderMutator | undefined): void {
  if (cw !== undefined) applyHeaderOps(headerOps(cw, 1, cw.responseHeadersToAdd, cw.responseHeadersToRemove), headers);
  applyHeaderOps(headerOps(route, 1, route.responseHeadersToAdd, route.responseHeadersToRemove), headers);
  applyHeaderOps(headerOps(vh, 1, vh.responseHeadersToAdd, vh.responseHeadersToRemove), headers);
  if (rc !== undefined) applyHeaderOps(headerOps(rc, 1, rc.responseHeadersToAdd, rc.responseHeadersToRemove), headers);
}

/**
 * The request header mutations of a routed request as {@link applyRequestHeaderMutations} applies
 * them, without the per-request weighted cluster: the route configuration's, the virtual host's,
 * then the route's, flattened (what the simulator reports).
 */
export function requestHeaderMutations(rc: RouteConfiguration | undefined, vh: VirtualHost | undefined, route: Route): RequestHeaderMutations {
  const add: HeaderValueOption[] = [];
  const remove: string[] = [];
  for (const level of [rc, vh, route]) {
    if (level === undefined) continue;
    if (level.requestHeadersToAdd) add.push(...level.requestHeadersToAdd);
    if (level.requestHeadersToRemove) remove.push(...level.requestHeadersToRemove);
  }
  return { add, remove };
}
