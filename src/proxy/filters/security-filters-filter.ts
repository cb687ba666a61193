/**
 * The proxy filter that runs, once per request and before fault injection and routing, what the
 * request's HTTP connection manager asks of the security layer, in Envoy's order:
 * 1. the request-head checks the parser let through (`codec-guard.ts`);
 * 2. edge sanitization at gateways (`edge-headers.ts`);
 * 3. path normalization: the stream's path is replaced, so every later filter, the route match and
 *    the upstream request see the normalized path (rejections are 400, redirects 307);
 * 4. the HCM's security filters in config order (jwt_authn → ext_authz → RBAC DENY/AUDIT/ALLOW).
 * Filters that need I/O stop the chain; it resumes after this filter once they decided, unless the
 * client went away meanwhile. Anything unexpected fails closed (500 via the connection manager).
 */
import { normalizeRequestPath } from '../../envoy/path-normalization.js';
import { FilterStatus, type FilterCallbacks, type HttpFilter } from '../http/filter.js';
import { asProxyError, LocalReply } from '../http/local-reply.js';
import type { ConnectionManagerInfo, StreamInfo } from '../http/stream-info.js';
import { checkRequestHead } from './codec-guard.js';
import { sanitizeEdgeRequest } from './edge-headers.js';
import { compileHcmSecurity, type HcmSecurity } from './hcm-security.js';
import type { SecurityFilter, SecurityVerdict } from './security-filter.js';

/** The HCM's security settings (compiled on first use for HCMs built without them). */
function securityOf(hcm: ConnectionManagerInfo): HcmSecurity {
  return (hcm as ConnectionManagerInfo & { security?: HcmSecurity }).security ?? compileHcmSecurity(hcm.config, hcm.name);
}

/** The security filter of the proxy's chain; stateless, shared by all requests. */
export class SecurityFiltersFilter implements HttpFilter {
  readonly name = 'weft.security';

  /** False: only the HCM request checks (steps 1–3); the chain built from `httpFilters` runs the security filters itself. */
  constructor(private readonly withSecurityFilters = true) {}

  decodeHeaders(s: StreamInfo, cb: FilterCallbacks): FilterStatus {
    if (hcmRequestChecks(s, cb) === FilterStatus.Stop) return FilterStatus.Stop;
    return this.withSecurityFilters ? runFrom(s, cb, securityOf(s.connectionManager).filters, 0) : FilterStatus.Continue;
  }
}

/** Steps 1–3 above: what Envoy's connection manager does before any HTTP filter runs. */
function hcmRequestChecks(s: StreamInfo, cb: FilterCallbacks): FilterStatus {
  const head = checkRequestHead(s.request);
  if (head) throw head;
  const sec = securityOf(s.connectionManager);
  if (sec.edge) sanitizeEdgeRequest(s);
  if (sec.path) {
    const r = normalizeRequestPath(s.path, sec.path);
    if (r.kind === 'reject') throw LocalReply.pathRejected(r.reason);
    if (r.kind === 'redirect') {
      cb.sendDirectReply(307, r.path, undefined);
      return FilterStatus.Stop;
    }
    cb.setPath(r.path);
  }
  return FilterStatus.Continue;
}

/**
 * One configured security filter (jwt_authn, ext_authz, RBAC) as a stage of the chain built from the
 * HCM's `httpFilters`: a verdict now continues or replies; a pending one stops the chain, which
 * resumes after this stage once decided (unless the client went away meanwhile).
 */
export class SecurityFilterStage implements HttpFilter {
  readonly name: string;
  private readonly one: readonly SecurityFilter[];
  constructor(filter: SecurityFilter) {
    this.name = filter.name;
    this.one = [filter];
  }

  decodeHeaders(s: StreamInfo, cb: FilterCallbacks): FilterStatus {
    return runFrom(s, cb, this.one, 0);
  }
}

/** Runs security filters from index `i`; returns Stop when one replied or went async. */
function runFrom(s: StreamInfo, cb: FilterCallbacks, filters: readonly SecurityFilter[], i: number): FilterStatus {
  for (; i < filters.length; i++) {
    const v = filters[i]!.decode(s);
    if (v instanceof Promise) {
      const next = i + 1;
      v.then(
        (verdict) => resume(s, cb, filters, next, verdict),
        (err: unknown) => resume(s, cb, filters, next, asProxyError(err)),
      );
      return FilterStatus.Stop;
    }
    if (v !== undefined) throw v;
  }
  return FilterStatus.Continue;
}

function resume(s: StreamInfo, cb: FilterCallbacks, filters: readonly SecurityFilter[], next: number, verdict: SecurityVerdict): void {
  if (s.replied) return;
  if (verdict !== undefined) {
    cb.sendLocalReply(verdict);
    return;
  }
  try {
    if (runFrom(s, cb, filters, next) === FilterStatus.Continue) cb.continueDecoding();
  } catch (err) {
    cb.sendLocalReply(asProxyError(err));
  }
}
