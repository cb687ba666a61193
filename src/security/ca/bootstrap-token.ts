/**
 * Bootstrap tokens: how a proxy proves, on its first CSR, which identity it may have. Istio uses the
 * pod's Kubernetes service-account token; Weft has no API server, so the control plane signs its
 * own short-lived tokens (a JWT, HS256, via `jose`):
 *
 *   { iss: "weft-control-plane", aud: "weft-ca", sub: "spiffe://<td>/ns/<ns>/sa/<sa>", jti, iat, exp }
 *
 * The HMAC key lives in the control plane's state directory (`bootstrap-token.key`, mode 0600), so
 * only whoever can read that directory — the control plane and `weft up`, which starts the proxies —
 * can mint tokens ({@link mintBootstrapToken}). The process that starts a proxy mints one token for
 * that proxy's namespace/service account and hands it over through `WEFT_BOOTSTRAP_TOKEN` or a file.
 * A token is single-use (its `jti` is remembered until it expires) and short-lived (10 min default);
 * certificate renewals authenticate with the current workload certificate instead (csr-service.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { writeFileDurable } from '../../util/durable-file.js';
import { SecurityError, SecurityErrorCode } from '../errors.js';
import { formatSpiffeId, requireSpiffeId, type SpiffeId } from '../identity/spiffe.js';

/** File name of the token key in the state directory. */
export const TOKEN_KEY_FILE = 'bootstrap-token.key';
/** Issuer claim of bootstrap tokens. */
export const TOKEN_ISSUER = 'weft-control-plane';
/** Audience claim of bootstrap tokens (only the CA accepts them). */
export const TOKEN_AUDIENCE = 'weft-ca';
/** Default token lifetime. */
export const DEFAULT_TOKEN_TTL_MS = 10 * 60_000;

/** Mints and verifies bootstrap tokens with one HMAC key. */
export class BootstrapTokens {
  /** jti → expiry (ms) of tokens already used. */
  private readonly used = new Map<string, number>();

  /**
   * `now`: the clock (ms since the epoch) that stamps `iat`/`exp` and judges expiry; tests inject one
   * to expire a token without waiting.
   */
  constructor(private readonly key: Uint8Array, private readonly now: () => number = Date.now) {}

  /** Tokens with a fresh random key (tests, or a control plane without a state directory); `now` as the constructor's. */
  static ephemeral(now?: () => number): BootstrapTokens {
    return new BootstrapTokens(randomBytes(32), now);
  }

  /** Loads the key from `stateDir`, creating it (0600) on first use. */
  static async loadOrCreate(stateDir: string): Promise<BootstrapTokens> {
    return new BootstrapTokens(await loadOrCreateKey(stateDir));
  }

  /** A token for `identity`, valid `ttlMs` (default 10 min). */
  async mint(identity: SpiffeId, ttlMs = DEFAULT_TOKEN_TTL_MS): Promise<string> {
    const now = Math.floor(this.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(formatSpiffeId(identity))
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + Math.max(1, Math.ceil(ttlMs / 1000)))
      .sign(this.key);
  }

  /** Verifies a token, consumes it, and returns the identity it is bound to; throws TOKEN_INVALID. */
  async consume(token: string): Promise<SpiffeId> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithms: ['HS256'], currentDate: new Date(this.now()) }));
    } catch (cause) {
      throw new SecurityError(SecurityErrorCode.TokenInvalid, `bootstrap token rejected: ${(cause as Error).message}`, { cause });
    }
    const now = this.now();
    for (const [jti, exp] of this.used) if (exp < now) this.used.delete(jti);
    if (!payload.jti || !payload.sub || payload.exp === undefined) throw new SecurityError(SecurityErrorCode.TokenInvalid, 'bootstrap token lacks jti, sub or exp');
    if (this.used.has(payload.jti)) throw new SecurityError(SecurityErrorCode.TokenInvalid, 'bootstrap token was already used');
    this.used.set(payload.jti, payload.exp * 1000);
    return requireSpiffeId(payload.sub);
  }
}

/** Mints a token with the key in `stateDir` (what `weft up` does for each proxy it starts). */
export async function mintBootstrapToken(stateDir: string, identity: SpiffeId, ttlMs?: number): Promise<string> {
  return new BootstrapTokens(await loadOrCreateKey(stateDir)).mint(identity, ttlMs);
}

async function loadOrCreateKey(stateDir: string): Promise<Uint8Array> {
  const file = path.join(stateDir, TOKEN_KEY_FILE);
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new SecurityError(SecurityErrorCode.CaLoad, `${file}: expected 64 hex characters`);
    return Buffer.from(hex, 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await writeFileDurable(file, `${key.toString('hex')}\n`, 0o600);
  return key;
}
