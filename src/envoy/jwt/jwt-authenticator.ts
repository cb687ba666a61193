/**
 * Envoy's JWT authentication filter logic, compiled from a `JwtAuthentication`: the first rule whose
 * route match passes gives the requirement; tokens are found at each provider's locations and
 * verified (memoized per provider and token); the requirement tree is evaluated as Envoy does:
 * - `providerName` / `providerAndAudiences`: a token at that provider's locations verifies (with
 *   the audiences given, if any); no token there is JWT_MISSING;
 * - `requiresAny`: one member passes; otherwise the first failure that is not JWT_MISSING;
 * - `requiresAll`: every member passes;
 * - `allowMissing`: passes when no provider finds a token; a present token must verify;
 * - `allowMissingOrFailed`: always passes (valid tokens still produce payloads).
 * istiod's requirement for RequestAuthentication is `requiresAny[<issuer providers…>, allowMissing]`:
 * no token passes, a valid token passes with its payload, an invalid token fails (401).
 * CORS preflights pass untouched when `bypassCorsPreflight` is set. Never throws per request.
 */
import type { JWTPayload } from 'jose';
import { EnvoyConfigError, EnvoyConfigErrorCode } from '../errors.js';
import type { RequestAttributes } from '../header-matcher.js';
import { compileRouteTable, type RouteTable } from '../route-table.js';
import { durationMs } from '../duration.js';
import { LocalKeySource, parseJwks, remoteKeySource, type KeySource } from './jwks-cache.js';
import { JwtStatus, verifyJwt, type VerifyResult } from './jwt-verifier.js';
import { findTokens, tokenLocations, type FoundToken, type TokenLocation } from './token-locations.js';
import type { JwtAuthentication, JwtClaimToHeader, JwtProvider, JwtRequirement } from './types.js';

/** One provider, compiled. */
export interface CompiledProvider {
  readonly name: string;
  readonly issuer: string | undefined;
  readonly audiences: readonly string[];
  readonly keys: KeySource;
  readonly clockSkewSeconds: number;
  readonly locations: readonly TokenLocation[];
  readonly forward: boolean;
  readonly forwardPayloadHeader: string | undefined;
  readonly payloadInMetadata: string | undefined;
  readonly spaceDelimitedClaims: readonly string[];
  readonly claimToHeaders: readonly JwtClaimToHeader[];
}

/** A verified token. */
export interface VerifiedToken {
  readonly provider: CompiledProvider;
  readonly found: FoundToken;
  readonly payload: JWTPayload;
}

/** The outcome for one request. */
export type AuthnOutcome =
  | { readonly ok: true; readonly verified: readonly VerifiedToken[] }
  | { readonly ok: false; readonly status: Exclude<JwtStatus, 'OK'> };

type Node =
  | { readonly kind: 'provider'; readonly provider: CompiledProvider; readonly audiences: readonly string[] | undefined }
  | { readonly kind: 'any' | 'all'; readonly members: readonly Node[] }
  | { readonly kind: 'allowMissing' | 'allowMissingOrFailed' };

const PASS: AuthnOutcome = Object.freeze({ ok: true as const, verified: Object.freeze([]) as readonly VerifiedToken[] });

function compileProvider(name: string, p: JwtProvider, where: string): CompiledProvider {
  let keys: KeySource;
  if (p.localJwks !== undefined) {
    const text = p.localJwks.inlineString ?? (p.localJwks.inlineBytes !== undefined ? Buffer.from(p.localJwks.inlineBytes, 'base64').toString('utf8') : undefined);
    if (text === undefined) throw new EnvoyConfigError(EnvoyConfigErrorCode.Unsupported, `${where}.localJwks`, 'only inline JWKS are supported');
    try {
      keys = new LocalKeySource(parseJwks(text));
    } catch (cause) {
      throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, `${where}.localJwks`, (cause as Error).message, { cause });
    }
  } else if (p.remoteJwks?.httpUri?.uri) {
    const timeoutMs = durationMs(p.remoteJwks.httpUri.timeout);
    const cacheMs = durationMs(p.remoteJwks.cacheDuration);
    keys = remoteKeySource({ uri: p.remoteJwks.httpUri.uri, ...(timeoutMs ? { timeoutMs } : {}), ...(cacheMs ? { cacheMs } : {}) });
  } else {
    throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, where, 'a provider needs localJwks or remoteJwks.httpUri.uri');
  }
  return {
    name,
    issuer: p.issuer || undefined,
    audiences: p.audiences ?? [],
    keys,
    clockSkewSeconds: p.clockSkewSeconds ?? 60,
    locations: tokenLocations(p),
    forward: p.forward === true,
    forwardPayloadHeader: p.forwardPayloadHeader || undefined,
    payloadInMetadata: p.payloadInMetadata || undefined,
    spaceDelimitedClaims: p.normalizePayloadInMetadata?.spaceDelimitedClaims ?? [],
    claimToHeaders: p.claimToHeaders ?? [],
  };
}

/** The compiled filter logic. */
export class JwtAuthenticator {
  private constructor(
    readonly providers: ReadonlyMap<string, CompiledProvider>,
    private readonly table: RouteTable | undefined,
    private readonly requirements: readonly Node[],
    private readonly bypassCorsPreflight: boolean,
  ) {}

  /** Compiles a filter config; throws EnvoyConfigError. */
  static compile(config: JwtAuthentication, where = 'jwt_authn'): JwtAuthenticator {
    const providers = new Map<string, CompiledProvider>();
    for (const name of Object.keys(config.providers ?? {}).sort()) providers.set(name, compileProvider(name, config.providers![name]!, `${where}.providers[${name}]`));
    const node = (r: JwtRequirement | undefined, w: string): Node => {
      if (!r) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, w, 'requirement is required');
      const named = r.providerName ?? r.providerAndAudiences?.providerName;
      if (named !== undefined) {
        const provider = providers.get(named);
        if (!provider) throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, w, `unknown provider ${named}`);
        return { kind: 'provider', provider, audiences: r.providerAndAudiences?.audiences };
      }
      if (r.requiresAny) return { kind: 'any', members: (r.requiresAny.requirements ?? []).map((x, i) => node(x, `${w}.requiresAny[${i}]`)) };
      if (r.requiresAll) return { kind: 'all', members: (r.requiresAll.requirements ?? []).map((x, i) => node(x, `${w}.requiresAll[${i}]`)) };
      if (r.allowMissing) return { kind: 'allowMissing' };
      if (r.allowMissingOrFailed) return { kind: 'allowMissingOrFailed' };
      throw new EnvoyConfigError(EnvoyConfigErrorCode.InvalidMatcher, w, 'requirement sets no member');
    };
    const rules = config.rules ?? [];
    const requirements = rules.map((rule, i) => {
      const named = rule.requirementName !== undefined ? config.requirementMap?.[rule.requirementName] : rule.requires;
      return node(named, `${where}.rules[${i}]`);
    });
    const table = rules.length > 0
      ? compileRouteTable({ name: 'jwt', virtualHosts: [{ name: 'jwt', domains: ['*'], routes: rules.map((r, i) => ({ name: String(i), match: r.match ?? { prefix: '/' }, directResponse: { status: 200 } })) }] })
      : undefined;
    return new JwtAuthenticator(providers, table, requirements, config.bypassCorsPreflight === true);
  }

  /** The requirement for a request, or undefined when no rule applies. */
  private requirementFor(req: RequestAttributes): Node | undefined {
    if (!this.table) return undefined;
    if (this.bypassCorsPreflight && req.method === 'OPTIONS' && req.headers['origin'] !== undefined && req.headers['access-control-request-method'] !== undefined) return undefined;
    const sel = this.table.select(req);
    return sel.kind === 'route' ? this.requirements[sel.routeIndex] : undefined;
  }

  /**
   * Authenticates a request. Synchronous (no promise) when the request carries no token at all, so
   * token-less traffic pays no async hop.
   */
  authenticate(req: RequestAttributes): AuthnOutcome | Promise<AuthnOutcome> {
    const node = this.requirementFor(req);
    if (node === undefined) return PASS;
    const found = new Map<CompiledProvider, FoundToken[]>();
    let any = false;
    for (const p of this.providers.values()) {
      const tokens = findTokens(p.locations, req.headers, req.path);
      found.set(p, tokens);
      if (tokens.length > 0) any = true;
    }
    if (!any) {
      const r = missingOnly(node);
      return r === 'pass' ? PASS : { ok: false, status: JwtStatus.Missing };
    }
    return new Evaluation(found).run(node);
  }
}

/** Evaluates a requirement when no token is present anywhere. */
function missingOnly(n: Node): 'pass' | 'fail' {
  switch (n.kind) {
    case 'provider':
      return 'fail';
    case 'allowMissing':
    case 'allowMissingOrFailed':
      return 'pass';
    case 'any':
      return n.members.some((m) => missingOnly(m) === 'pass') ? 'pass' : 'fail';
    case 'all':
      return n.members.every((m) => missingOnly(m) === 'pass') ? 'pass' : 'fail';
  }
}

/** One request's evaluation, memoizing verifications. */
class Evaluation {
  private readonly memo = new Map<string, Promise<VerifyResult>>();
  constructor(private readonly found: ReadonlyMap<CompiledProvider, readonly FoundToken[]>) {}

  private verify(p: CompiledProvider, token: string, audiences: readonly string[] | undefined): Promise<VerifyResult> {
    const key = `${p.name}\u0000${audiences?.join(',') ?? ''}\u0000${token}`;
    let r = this.memo.get(key);
    if (!r) {
      r = verifyJwt(token, { issuer: p.issuer, audiences: audiences ?? p.audiences, keys: p.keys, clockSkewSeconds: p.clockSkewSeconds });
      this.memo.set(key, r);
    }
    return r;
  }

  private async provider(p: CompiledProvider, audiences: readonly string[] | undefined): Promise<AuthnOutcome> {
    const tokens = this.found.get(p) ?? [];
    if (tokens.length === 0) return { ok: false, status: JwtStatus.Missing };
    let failure: Exclude<JwtStatus, 'OK'> = JwtStatus.Missing;
    for (const t of tokens) {
      const r = await this.verify(p, t.token, audiences);
      if (r.status === 'OK') return { ok: true, verified: [{ provider: p, found: t, payload: r.payload }] };
      if (failure === JwtStatus.Missing) failure = r.status;
    }
    return { ok: false, status: failure };
  }

  /** Every present token, each verified by the providers that found it; passes if none or one verifies. */
  private async present(mustVerify: boolean): Promise<AuthnOutcome> {
    const verified: VerifiedToken[] = [];
    let failure: Exclude<JwtStatus, 'OK'> | undefined;
    let seen = false;
    for (const [p, tokens] of this.found) {
      for (const t of tokens) {
        seen = true;
        const r = await this.verify(p, t.token, undefined);
        if (r.status === 'OK') verified.push({ provider: p, found: t, payload: r.payload });
        else if (failure === undefined || failure === JwtStatus.UnknownIssuer) failure = r.status;
      }
    }
    if (!mustVerify || !seen || verified.length > 0) return { ok: true, verified };
    return { ok: false, status: failure ?? JwtStatus.VerificationFail };
  }

  async run(n: Node): Promise<AuthnOutcome> {
    try {
      switch (n.kind) {
        case 'provider':
          return await this.provider(n.provider, n.audiences);
        case 'allowMissing':
          return await this.present(true);
        case 'allowMissingOrFailed':
          return await this.present(false);
        case 'any': {
          let failure: Exclude<JwtStatus, 'OK'> = JwtStatus.Missing;
          for (const m of n.members) {
            const r = await this.run(m);
            if (r.ok) return r;
            if (failure === JwtStatus.Missing || failure === JwtStatus.UnknownIssuer) failure = r.status;
          }
          return { ok: false, status: failure };
        }
        case 'all': {
          const verified: VerifiedToken[] = [];
          for (const m of n.members) {
            const r = await this.run(m);
            if (!r.ok) return r;
            verified.push(...r.verified);
          }
          return { ok: true, verified };
        }
      }
    } catch {
      return { ok: false, status: JwtStatus.VerificationFail };
    }
  }
}
