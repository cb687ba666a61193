/**
 * The authorization part of a simulation: replays a request through an HTTP connection manager's
 * path normalization and security filters with the same interpreters the proxy runs
 * (`src/envoy/path-normalization.ts`, `src/envoy/rbac/`), and reports the decision and the policy
 * that made it. JWTs are not verified here: `jwtClaims` stand for a token that verified (they
 * become the `istio_authn` attributes), and `peerPrincipal` for the mTLS peer's identity. A
 * CUSTOM (ext_authz) match is reported as `ext-authz` (the answer depends on the server), and the
 * RBAC filters after it are still evaluated as if the server allowed the request.
 */
import { authnAttributes, ISTIO_AUTHN } from '../envoy/jwt/authn-attributes.js';
import { isNoop, normalizeRequestPath, pathNormalizationOf } from '../envoy/path-normalization.js';
import type { MetadataValue } from '../envoy/rbac/metadata-matcher.js';
import { compileRbacFilter, type CompiledRbacFilter } from '../envoy/rbac/rbac-engine.js';
import type { RbacRequest } from '../envoy/rbac/rbac-matchers.js';
import { RBAC_FILTER, SHADOW_EFFECTIVE_POLICY_ID, type RbacFilterConfig } from '../envoy/rbac/types.js';
import { EXT_AUTHZ_FILTER } from '../envoy/ext-authz/types.js';
import type { HttpConnectionManager } from '../envoy/types.js';

/** What the security filters decided. */
export interface SimAuthz {
  /** `allow`; `deny` (403, or 400 for a rejected path); `ext-authz`: a CUSTOM policy sends it to its provider first. */
  readonly decision: 'allow' | 'deny' | 'ext-authz';
  /** The RBAC policy that decided (`ns[default]-policy[deny-admin]-rule[0]`), `none` for an ALLOW miss. */
  readonly policy?: string;
  /** Which stage decided: path normalization, CUSTOM, DENY or ALLOW. */
  readonly stage?: 'path' | 'custom' | 'deny' | 'allow';
  /** The path after normalization (what routing and the app see). */
  readonly path: string;
  /** Why the path was rejected, when it was. */
  readonly pathRejected?: string;
}

/** The request attributes authorization reads, beyond routing's. */
export interface SimAuthzRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string | undefined;
  readonly scheme: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly sourceIp?: string;
  readonly destinationIp?: string;
  readonly destinationPort?: number;
  readonly peerPrincipal?: string;
  readonly jwtClaims?: Readonly<Record<string, unknown>>;
  readonly sni?: string;
}

const compiled = new WeakMap<object, CompiledRbacFilter>();

function rbacOf(config: RbacFilterConfig): CompiledRbacFilter {
  let c = compiled.get(config);
  if (!c) compiled.set(config, (c = compileRbacFilter(config)));
  return c;
}

/** Evaluates an HCM's path handling and security filters for one request. */
export function simulateAuthz(hcm: HttpConnectionManager, req: SimAuthzRequest): SimAuthz {
  let path = req.path;
  const opts = pathNormalizationOf(hcm);
  if (!isNoop(opts)) {
    const r = normalizeRequestPath(path, opts);
    if (r.kind === 'reject') return { decision: 'deny', stage: 'path', path, pathRejected: r.reason };
    path = r.path;
  }
  const metadata: Record<string, Record<string, MetadataValue>> = {};
  if (req.jwtClaims) metadata[ISTIO_AUTHN] = authnAttributes(req.jwtClaims);
  const view: RbacRequest = {
    authority: req.authority, method: req.method, path, scheme: req.scheme, headers: req.headers,
    destinationIp: req.destinationIp, destinationPort: req.destinationPort,
    directRemoteIp: req.sourceIp, remoteIp: req.sourceIp,
    peerPrincipal: req.peerPrincipal, requestedServerName: req.sni, metadata,
  };
  let extAuthz: string | undefined;
  for (const f of hcm.httpFilters ?? []) {
    if (f.name === EXT_AUTHZ_FILTER) {
      const id = metadata[RBAC_FILTER]?.[`istio_ext_authz_${SHADOW_EFFECTIVE_POLICY_ID}`];
      if (typeof id === 'string' && extAuthz === undefined) extAuthz = id;
      continue;
    }
    if (f.name !== RBAC_FILTER) continue;
    const rbac = rbacOf(f.typedConfig as unknown as RbacFilterConfig);
    if (rbac.shadow) {
      const m = rbac.shadow.match(view);
      if (m !== undefined) (metadata[RBAC_FILTER] ??= {})[`${rbac.shadowPrefix}${SHADOW_EFFECTIVE_POLICY_ID}`] = m;
    }
    if (!rbac.engine) continue;
    const d = rbac.engine.evaluate(view);
    if (!d.allowed) return { decision: 'deny', policy: d.matchedPolicy ?? 'none', stage: rbac.engine.action === 'DENY' ? 'deny' : 'allow', path };
    if (rbac.engine.action === 'ALLOW' && extAuthz === undefined) return { decision: 'allow', policy: d.matchedPolicy, stage: 'allow', path };
  }
  if (extAuthz !== undefined) return { decision: 'ext-authz', policy: extAuthz, stage: 'custom', path };
  return { decision: 'allow', path };
}
