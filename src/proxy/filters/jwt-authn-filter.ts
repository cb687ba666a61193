/**
 * Envoy's JWT authentication filter on the proxy. Requests whose requirement fails get 401 with
 * Envoy's message (`Jwt verification fails`, `Jwt is expired`, `Jwks remote fetch is failed`…) and
 * `www-authenticate: Bearer realm="<url>", error="invalid_token"`. For each verified token: its
 * payload goes to dynamic metadata (`envoy.filters.http.jwt_authn` / `payloadInMetadata`), to
 * `forwardPayloadHeader` (base64url JSON) and to `claimToHeaders`; unless `forward` is set, the
 * header that carried it is removed. The first verified payload also yields Istio's
 * `istio_authn` attributes (`request.auth.principal` = `<iss>/<sub>`, claims, audiences,
 * presenter), which is what AuthorizationPolicy `requestPrincipals` and `request.auth.*` match.
 */
import { JwtAuthenticator, type AuthnOutcome, type VerifiedToken } from '../../envoy/jwt/jwt-authenticator.js';
import { JWT_STATUS_MESSAGE } from '../../envoy/jwt/jwt-verifier.js';
import { authnAttributes, ISTIO_AUTHN, payloadMetadata } from '../../envoy/jwt/authn-attributes.js';
import { JWT_AUTHN_FILTER, type JwtAuthentication } from '../../envoy/jwt/types.js';
import { LocalReply } from '../http/local-reply.js';
import type { StreamInfo } from '../http/stream-info.js';
import { setMetadata } from './security-context.js';
import type { SecurityFilter, SecurityVerdict } from './security-filter.js';

/** The jwt_authn filter. */
export class JwtAuthnFilter implements SecurityFilter {
  readonly name = JWT_AUTHN_FILTER;
  private readonly authenticator: JwtAuthenticator;

  constructor(config: JwtAuthentication, where = 'jwt_authn') {
    this.authenticator = JwtAuthenticator.compile(config, where);
  }

  decode(s: StreamInfo): SecurityVerdict | Promise<SecurityVerdict> {
    let outcome: AuthnOutcome | Promise<AuthnOutcome>;
    try {
      outcome = this.authenticator.authenticate(s);
    } catch {
      return deny(s, 'JWT_VERIFICATION_FAIL');
    }
    if (outcome instanceof Promise) return outcome.then((o) => apply(s, o), () => deny(s, 'JWT_VERIFICATION_FAIL'));
    return apply(s, outcome);
  }
}

function deny(s: StreamInfo, status: keyof typeof JWT_STATUS_MESSAGE): SecurityVerdict {
  const authority = s.authority ?? '';
  return LocalReply.jwtDenied(JWT_STATUS_MESSAGE[status], `${s.scheme}://${authority}${s.path.split('?')[0]}`);
}

function apply(s: StreamInfo, o: AuthnOutcome): SecurityVerdict {
  if (!o.ok) return deny(s, o.status);
  if (o.verified.length === 0) return undefined;
  const headers = s.headers as Record<string, string | string[] | undefined>;
  const removed = new Set<string>();
  for (const v of o.verified) applyToken(s, v, headers, removed);
  const first = o.verified[0]!;
  const attrs = authnAttributes(first.payload, first.provider.spaceDelimitedClaims.length > 0 ? first.provider.spaceDelimitedClaims : undefined);
  for (const [k, val] of Object.entries(attrs)) setMetadata(s, ISTIO_AUTHN, k, val);
  return undefined;
}

function applyToken(s: StreamInfo, v: VerifiedToken, headers: Record<string, string | string[] | undefined>, removed: Set<string>): void {
  const p = v.provider;
  if (p.payloadInMetadata) setMetadata(s, JWT_AUTHN_FILTER, p.payloadInMetadata, payloadMetadata(v.payload, p.spaceDelimitedClaims));
  if (p.forwardPayloadHeader) headers[p.forwardPayloadHeader.toLowerCase()] = Buffer.from(JSON.stringify(v.payload)).toString('base64url');
  for (const c of p.claimToHeaders) {
    const val = c.claimName ? v.payload[c.claimName] : undefined;
    if (c.headerName && (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean')) headers[c.headerName.toLowerCase()] = String(val);
  }
  if (!p.forward && v.found.location.kind === 'header' && !removed.has(v.found.location.name)) {
    removed.add(v.found.location.name);
    delete headers[v.found.location.name];
  }
}
