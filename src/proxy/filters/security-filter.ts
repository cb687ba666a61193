/**
 * The interface of the HCM's configured security filters (jwt_authn, ext_authz, RBAC). Unlike the
 * synchronous {@link HttpFilter}s, a security filter may need I/O (JWKS fetch, authorization
 * check), so it returns either a verdict now or a promise of one. A verdict is `undefined` to let
 * the request continue, or a {@link ProxyError} to answer with a local reply.
 */
import type { ProxyError } from '../http/local-reply.js';
import type { StreamInfo } from '../http/stream-info.js';

/** What a security filter decides. */
export type SecurityVerdict = ProxyError | undefined;

/** One compiled security filter (stateless across requests; per-request state lives in the security context). */
export interface SecurityFilter {
  /** Envoy filter name (`envoy.filters.http.rbac`, …). */
  readonly name: string;
  /** Decides on the request headers; must not throw (errors become verdicts). */
  decode(s: StreamInfo): SecurityVerdict | Promise<SecurityVerdict>;
}
