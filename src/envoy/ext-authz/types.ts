/**
 * Envoy's external authorization HTTP filter config (`envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`)
 * with an HTTP authorization service, in Weft's object form (see `src/envoy/types/core.ts`).
 */
import type { HttpUri } from '../jwt/types.js';
import type { MetadataMatcher } from '../rbac/types.js';
import type { HeaderValue, StringMatcher } from '../types.js';

/** `ListStringMatcher`: matches when any pattern does. */
export interface ListStringMatcher {
  readonly patterns?: readonly StringMatcher[];
}

/** `HttpService`: the authorization server and what crosses it. */
export interface ExtAuthzHttpService {
  /** `uri` names the server; `cluster` is the cluster that reaches it; `timeout` bounds a check. */
  readonly serverUri?: HttpUri;
  /** Prepended to the request path in the check request. */
  readonly pathPrefix?: string;
  readonly authorizationRequest?: { readonly headersToAdd?: readonly HeaderValue[] };
  readonly authorizationResponse?: {
    /** Check-response headers copied onto the upstream request when allowed. */
    readonly allowedUpstreamHeaders?: ListStringMatcher;
    readonly allowedUpstreamHeadersToAppend?: ListStringMatcher;
    /** Check-response headers sent to the client when denied. */
    readonly allowedClientHeaders?: ListStringMatcher;
    readonly allowedClientHeadersOnSuccess?: ListStringMatcher;
  };
}

/** `ExtAuthz`. */
export interface ExtAuthz {
  readonly httpService?: ExtAuthzHttpService;
  readonly transportApiVersion?: 'AUTO' | 'V2' | 'V3';
  /** Let requests through when the server cannot be reached (Istio's `failOpen`). */
  readonly failureModeAllow?: boolean;
  /** Status for errors (unreachable, timeout); default 403. Enum name of `envoy.type.v3.StatusCode`. */
  readonly statusOnError?: { readonly code?: string | number };
  /** Only requests whose dynamic metadata matches are checked. */
  readonly filterEnabledMetadata?: MetadataMatcher;
  /** Request headers sent in the check (besides Envoy's fixed set). */
  readonly allowedHeaders?: ListStringMatcher;
  readonly statPrefix?: string;
}

/** Name of the filter. */
export const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
