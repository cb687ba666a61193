/**
 * Envoy's RBAC messages (`envoy.config.rbac.v3`, the HTTP filter `envoy.extensions.filters.http.rbac.v3.RBAC`)
 * and the matchers they use (`envoy.type.matcher.v3` MetadataMatcher, ValueMatcher, ListMatcher,
 * PathMatcher), in Weft's object form (see `src/envoy/types/core.ts` for its rules).
 */
import type { CidrRange, StringMatcher } from '../types.js';
import type { HeaderMatcher } from '../types.js';

/** `RBAC.Action`; missing is ALLOW. */
export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** `envoy.config.rbac.v3.RBAC`: an action and named policies (OR'ed; evaluated in name order). */
export interface Rbac {
  readonly action?: RbacAction;
  readonly policies?: Readonly<Record<string, RbacPolicy>>;
}

/** `Policy`: matches when any permission AND any principal match. */
export interface RbacPolicy {
  readonly permissions?: readonly Permission[];
  readonly principals?: readonly Principal[];
}

/** `Int32Range` [start, end). */
export interface Int32Range {
  readonly start?: number;
  readonly end?: number;
}

/** `PathMatcher`: a string matcher on the path without query string. */
export interface PathMatcher {
  readonly path?: StringMatcher;
}

/** `Permission`: exactly one rule. */
export interface Permission {
  readonly andRules?: { readonly rules?: readonly Permission[] };
  readonly orRules?: { readonly rules?: readonly Permission[] };
  readonly any?: boolean;
  readonly header?: HeaderMatcher;
  readonly urlPath?: PathMatcher;
  readonly destinationIp?: CidrRange;
  readonly destinationPort?: number;
  readonly destinationPortRange?: Int32Range;
  readonly metadata?: MetadataMatcher;
  readonly notRule?: Permission;
  readonly requestedServerName?: StringMatcher;
}

/** `Principal`: exactly one identifier. */
export interface Principal {
  readonly andIds?: { readonly ids?: readonly Principal[] };
  readonly orIds?: { readonly ids?: readonly Principal[] };
  readonly any?: boolean;
  readonly authenticated?: { readonly principalName?: StringMatcher };
  /** Deprecated alias of `directRemoteIp`. */
  readonly sourceIp?: CidrRange;
  readonly directRemoteIp?: CidrRange;
  readonly remoteIp?: CidrRange;
  readonly header?: HeaderMatcher;
  readonly urlPath?: PathMatcher;
  readonly metadata?: MetadataMatcher;
  readonly notId?: Principal;
}

/** `MetadataMatcher`: the value at `filter` / `path` of the request's dynamic metadata. */
export interface MetadataMatcher {
  readonly filter?: string;
  readonly path?: readonly { readonly key?: string }[];
  readonly value?: ValueMatcher;
  readonly invert?: boolean;
}

/** `ValueMatcher`: exactly one of its members. */
export interface ValueMatcher {
  readonly nullMatch?: Readonly<Record<string, never>>;
  readonly doubleMatch?: { readonly range?: { readonly start?: number; readonly end?: number }; readonly exact?: number };
  readonly stringMatch?: StringMatcher;
  readonly boolMatch?: boolean;
  readonly presentMatch?: boolean;
  readonly listMatch?: { readonly oneOf?: ValueMatcher };
  readonly orMatch?: { readonly valueMatchers?: readonly ValueMatcher[] };
}

/** The HTTP RBAC filter's config (`extensions.filters.http.rbac.v3.RBAC`). */
export interface RbacFilterConfig {
  /** Enforced rules; absent = the filter enforces nothing. */
  readonly rules?: Rbac;
  readonly rulesStatPrefix?: string;
  /** Evaluated and recorded in dynamic metadata, never enforced. */
  readonly shadowRules?: Rbac;
  readonly shadowRulesStatPrefix?: string;
}

/**
 * The network RBAC filter's config (`extensions.filters.network.rbac.v3.RBAC`): evaluated once per
 * connection; a denied connection is closed. Stats are `<statPrefix>rbac.allowed|denied|…`.
 */
export interface NetworkRbacConfig extends RbacFilterConfig {
  /** Required by Envoy; istiod sets `tcp.`. */
  readonly statPrefix: string;
}

/** Name of the network RBAC filter (`envoy.filters.network.rbac`). */
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';

/** Name of the HTTP RBAC filter (and its dynamic metadata namespace). */
export const RBAC_FILTER = 'envoy.filters.http.rbac';
/** Dynamic metadata key (after the shadow stat prefix) holding the shadow engine's matched policy. */
export const SHADOW_EFFECTIVE_POLICY_ID = 'shadow_effective_policy_id';
/** Dynamic metadata key (after the shadow stat prefix) holding `allowed` / `denied`. */
export const SHADOW_ENGINE_RESULT = 'shadow_engine_result';
