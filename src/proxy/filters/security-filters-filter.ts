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
import { continueDecoding, sendDirectReply, sendLocalReply, asProxyError } from '../connection-manager.js';
import { FilterStatus, type HttpFilter } from '../http-filter.js';
import { LocalReply } from '../local-reply.js';
import type { ProxyStream } from '../proxy-stream.js';
import type { HcmRuntime } from '../runtime-snapshot.js';
import { checkRequestHead } from './codec-guard.js';
import { sanitizeEdgeRequest } from './edge-headers.js';
import { compileHcmSecurity, type HcmSecurity } from './hcm-security.js';
import type { SecurityFilter, SecurityVerdict } from './security-filter.js';

/** The HCM's security settings (compiled on first use for HCMs built without them). */
function securityOf(hcm: HcmRuntime): HcmSecurity {
  return (hcm as HcmRuntime & { security?: HcmSecurity }).security ?? compileHcmSecurity(hcm.config, hcm.name);
}

/** The security filter of the proxy's chain; stateless, shared by all requests. */
export class SecurityFiltersFilter implements HttpFilter {
  readonly name = 'weft.security';

  /** False: only the HCM request checks (steps 1–3); the chain built from `httpFilters` runs the security filters itself. */
  constructor(private readonly withSecurityFilters = true) {}

  decodeHeaders(s: ProxyStream): FilterStatus {
    if (hcmRequestChecks(s) === FilterStatus.Stop) return FilterStatus.Stop;
    return this.withSecurityFilters ? runFrom(s, securityOf(s.hcm).filters, 0) : FilterStatus.Continue;
  }
}

/** Steps 1–3 above: what Envoy's connection manager does before any HTTP filter runs. */
function hcmRequestChecks(s: ProxyStream): FilterStatus {
  const head = checkRequestHead(s.req);
  if (head) throw head;
  const sec = securityOf(s.hcm);
  if (sec.edge) sanitizeEdgeRequest(s);
  if (sec.path) {
    const r = normalizeRequestPath(s.path, sec.path);
    if (r.kind === 'reject') throw LocalReply.pathRejected(r.reason);
    if (r.kind === 'redirect') {
      sendDirectReply(s, 307, r.path, undefined);
      return FilterStatus.Stop;
    }
    s.path = r.path;
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

  decodeHeaders(s: ProxyStream): FilterStatus {
    return runFrom(s, this.one, 0);
  }
}

/** Runs security filters from index `i`; returns Stop when one replied or went async. */
function runFrom(s: ProxyStream, filters: readonly SecurityFilter[], i: number): FilterStatus {
  for (; i < filters.length; i++) {
    const v = filters[i]!.decode(s);
    if (v instanceof Promise) {
      const next = i + 1;
      v.then(
        (verdict) => resume(s, filters, next, verdict),
        (err: unknown) => resume(s, filters, next, asProxyError(err)),
      );
      return FilterStatus.Stop;
    }
    if (v !== undefined) throw v;
  }
  return FilterStatus.Continue;
}

function resume(s: ProxyStream, filters: readonly SecurityFilter[], next: number, verdict: SecurityVerdict): void {
  if (s.res.destroyed || s.res.headersSent) return;
  if (verdict !== undefined) {
    sendLocalReply(s, verdict);
    return;
  }
  try {
    if (runFrom(s, filters, next) === FilterStatus.Continue) continueDecoding(s);
  } catch (err) {
    sendLocalReply(s, asProxyError(err));
  }
}
