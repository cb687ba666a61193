/**
 * JSON Web Key Sets for JWT verification: inline (`localJwks`, parsed once) or remote
 * (`remoteJwks.httpUri.uri`, fetched over HTTP(S) and cached for `cacheDuration`, default 5 min).
 *
 * Remote sets are shared per URI across config pushes, so a push does not refetch. A fetch is
 * started on first use and shared by concurrent requests; when the cache expires the next request
 * refetches. A fetch that fails (network error, timeout, non-200, not a JWKS) never throws out of
 * here: tokens that need the set fail closed (`JWKS_FETCH_FAILED`), a previously fetched set stays
 * in use, and another fetch is tried at most once per `retryAfterMs` (1 s).
 *
 * The fetch is bounded as Envoy's jwt_authn remote JWKS fetch (JwksFetcher over the cluster's
 * async HTTP client): one GET to the configured URI, never following a redirect (a 3xx is a
 * failed fetch, like any non-200; Envoy's async client does not follow redirects, so a JWKS
 * server cannot point the proxy at another host), the `http_uri.timeout` covering connect,
 * headers and body (5 s when unset, Istio's default), and a body cap of {@link MAX_JWKS_BYTES}
 * (Weft's choice, equal to Envoy's default per-connection buffer limit): a larger body is aborted
 * as soon as the cap is passed, never read whole.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { WeftError } from '../../util/weft-error.js';

/** A key source: resolves the key lookup for a token, or undefined when the keys are unavailable. */
export interface KeySource {
  keys(): Promise<JWTVerifyGetKey | undefined> | JWTVerifyGetKey | undefined;
}

/** Stable codes of JWKS problems. */
export const JwksErrorCode = {
  InvalidJwks: 'JWKS_INVALID',
  FetchFailed: 'JWKS_FETCH_FAILED',
} as const;

/** Error raised for an inline JWKS that does not parse (config time). */
export class JwksError extends WeftError {
  constructor(readonly code: (typeof JwksErrorCode)[keyof typeof JwksErrorCode], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksError';
  }
}

/** Parses a JWKS (or a single JWK) from JSON text; throws JwksError. */
export function parseJwks(text: string): JSONWebKeySet {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (cause) {
    throw new JwksError(JwksErrorCode.InvalidJwks, `jwks is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JwksError(JwksErrorCode.InvalidJwks, 'jwks must be a JSON object');
  const o = v as Record<string, unknown>;
  if (Array.isArray(o.keys)) return o as unknown as JSONWebKeySet;
  if (typeof o.kty === 'string') return { keys: [o as unknown as JSONWebKeySet['keys'][number]] };
  throw new JwksError(JwksErrorCode.InvalidJwks, 'jwks needs a "keys" array');
}

/** Keys given inline. */
export class LocalKeySource implements KeySource {
  private readonly getKey: JWTVerifyGetKey;
  constructor(jwks: JSONWebKeySet) {
    this.getKey = createLocalJWKSet(jwks);
  }
  keys(): JWTVerifyGetKey {
    return this.getKey;
  }
}

/** Largest JWKS body accepted (bytes): 1 MiB. Real key sets are a few KiB. */
export const MAX_JWKS_BYTES = 1024 * 1024;
/** Fetch timeout when the provider sets none (ms): Istio's 5 s. */
export const DEFAULT_JWKS_FETCH_TIMEOUT_MS = 5000;

/** Options of a remote key source. */
export interface RemoteKeyOptions {
  readonly uri: string;
  /** Fetch timeout (ms), default 5000. */
  readonly timeoutMs?: number;
  /** Cache lifetime (ms), default 300000. */
  readonly cacheMs?: number;
  /** Minimum time between failed fetches (ms), default 1000. */
  readonly retryAfterMs?: number;
  /** Largest body accepted (bytes), default {@link MAX_JWKS_BYTES}. */
  readonly maxBytes?: number;
}

/**
 * Reads a response body as UTF-8 text, failing (and cancelling the body) once it passes
 * `maxBytes`; a `content-length` over the cap fails before any byte is read.
 */
export async function readCappedText(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new JwksError(JwksErrorCode.FetchFailed, `jwks body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new JwksError(JwksErrorCode.FetchFailed, `jwks body exceeds the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Keys fetched from a URI and cached. */
export class RemoteKeySource implements KeySource {
  private getKey: JWTVerifyGetKey | undefined;
  private expiresAt = 0;
  private failedAt = -Infinity;
  private inflight: Promise<JWTVerifyGetKey | undefined> | undefined;
  /** Number of fetches started (for tests and stats). */
  fetches = 0;
  /** Last fetch error, if the last fetch failed. */
  lastError: string | undefined;

  constructor(private readonly opts: RemoteKeyOptions) {}

  /** The URI keys come from. */
  get uri(): string {
    return this.opts.uri;
  }

  keys(): Promise<JWTVerifyGetKey | undefined> | JWTVerifyGetKey | undefined {
    const now = Date.now();
    if (this.getKey !== undefined && now < this.expiresAt) return this.getKey;
    if (this.inflight) return this.inflight;
    if (now - this.failedAt < (this.opts.retryAfterMs ?? 1000)) return this.getKey;
    this.inflight = this.fetch().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetch(): Promise<JWTVerifyGetKey | undefined> {
    this.fetches++;
    try {
      const res = await fetch(this.opts.uri, {
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_JWKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' }, redirect: 'manual',
      });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        const where = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get('location') ?? '?'} not followed)` : '';
        throw new JwksError(JwksErrorCode.FetchFailed, `GET ${this.opts.uri}: status ${res.status}${where}`);
      }
      const text = await readCappedText(res, this.opts.maxBytes ?? MAX_JWKS_BYTES);
      this.getKey = createLocalJWKSet(parseJwks(text));
      this.expiresAt = Date.now() + (this.opts.cacheMs ?? 300_000);
      this.lastError = undefined;
      return this.getKey;
    } catch (err) {
      this.failedAt = Date.now();
      this.lastError = (err as Error).message;
      return this.getKey;
    }
  }
}

const remoteSources = new Map<string, RemoteKeySource>();

/** The shared remote key source of a URI (created on first use; settings of the first caller win until {@link forgetRemoteKeySources}). */
export function remoteKeySource(opts: RemoteKeyOptions): RemoteKeySource {
  const key = `${opts.uri}|${opts.cacheMs ?? ''}|${opts.timeoutMs ?? ''}`;
  let s = remoteSources.get(key);
  if (!s) remoteSources.set(key, (s = new RemoteKeySource(opts)));
  return s;
}

/** Drops every shared remote key source (tests). */
export function forgetRemoteKeySources(): void {
  remoteSources.clear();
}
