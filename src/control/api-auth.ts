/**
 * Who may talk to the control plane's HTTP API (port 15014), decided before any handler runs:
 *
 * - a bearer token, generated at every start into a 0600 file (`<state>/api-token`, its directory
 *   0700) that the CLI reads; compared in constant time. Istio's istiod authenticates its debug and
 *   config endpoints the same way in spirit (a Kubernetes bearer token on `/debug/*`, see
 *   `pilot/pkg/xds/debug.go` `allowAuthenticatedOrLocalhost`); Weft has no Kubernetes, so it mints
 *   its own token, as Jupyter and Docker's rootless API do;
 * - the `Host` header must name the address the API is bound to (or `localhost`/`127.0.0.1`/`[::1]`
 *   when it is bound to loopback) with the bound port, so a DNS-rebinding page
 *   (`http://evil.example:15014` resolving to 127.0.0.1) is refused;
 * - a request carrying an `Origin` (every browser `fetch`/form POST does) is refused unless the
 *   origin is the API's own; `Sec-Fetch-Site: cross-site|same-site` likewise;
 * - bodies of state-changing methods must be `application/json`, which a page cannot send
 *   cross-site without a CORS preflight (the API answers no preflight).
 *
 * `/metrics` and `/ready` stay open (behind the Host check only), as istiod's monitoring port 15014
 * serves `/metrics` and its `/ready` unauthenticated: they carry counts and a liveness word, no
 * configuration, names or secrets.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { removeFileDurable, writeFileDurable } from '../util/durable-file.js';
import { WeftError } from '../util/weft-error.js';

/** Name of the token file inside a state directory. */
export const API_TOKEN_FILE = 'api-token';

/** Environment variable the CLI reads the token from (never passed on to apps). */
export const API_TOKEN_ENV = 'WEFT_API_TOKEN';

/** Paths that answer without a token (still Host-checked): Prometheus scrape and readiness. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/metrics', '/ready']);

/** Stable codes of API refusals and of start failures. */
export const ApiErrorCode = {
  Unauthorized: 'UNAUTHORIZED',
  BadHost: 'MISDIRECTED_HOST',
  BadOrigin: 'FORBIDDEN_ORIGIN',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  TlsRequired: 'API_TLS_REQUIRED',
} as const;
/** One of {@link ApiErrorCode}. */
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An error of the API's security layer (start refused, token file unwritable). */
export class ApiAuthError extends WeftError {
  constructor(
    readonly code: ApiErrorCode | 'TOKEN_FILE',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiAuthError';
  }
}

/** Why a plaintext API is refused on `host`, and how to provide TLS. */
export function apiTlsRequiredMessage(host: string): string {
  return `the config API on ${host} (not loopback) must be served over TLS, or its token would cross the network in the clear: keep the mesh CA on (do not pass --xds-port -1; a --plugin-ca works too) and the API is served over HTTPS with a certificate from it, verified by the CLI with --ca-root ROOT-CERT.pem; or bind --host 127.0.0.1`;
}

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function generateApiToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Writes `token` to `file` (mode 0600, atomically) and makes its directory 0700, so only the user
 * running the control plane (and root) can read it.
 */
export async function writeApiTokenFile(file: string, token: string): Promise<void> {
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await writeFileDurable(file, `${token}\n`, 0o600);
    await chmod(file, 0o600);
  } catch (err) {
    throw new ApiAuthError('TOKEN_FILE', `cannot write the API token file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/** Removes the token file if it still holds `token` (another control plane may have replaced it). */
export async function removeApiTokenFile(file: string, token: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8')).trim() === token) await removeFileDurable(file);
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

/** True when `header` is `Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1), compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  // Hashing first makes the comparison constant-time whatever the presented length.
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const want = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, want) && m !== null && token.length > 0;
}

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/** `host:port` forms for an address, IPv6 in brackets. */
function authority(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(h) === 6 ? `[${h}]:${port}` : `${h}:${port}`;
}

/**
 * The `Host` values the API answers to: the bound address with the bound port, plus `localhost`,
 * `127.0.0.1` and `[::1]` when bound to loopback. The port may be omitted only when it is the
 * scheme's default (a browser omits it then).
 */
export function allowedAuthorities(boundHost: string, port: number, scheme: 'http' | 'https'): Set<string> {
  const hosts = new Set([boundHost]);
  if (isLoopbackHost(boundHost)) for (const h of ['localhost', '127.0.0.1', '::1']) hosts.add(h);
  const out = new Set<string>();
  const defaultPort = scheme === 'https' ? 443 : 80;
  for (const h of hosts) {
    out.add(authority(h, port));
    if (port === defaultPort) out.add(authority(h, port).replace(/:\d+$/, ''));
  }
  return out;
}

/** Why a request is refused before authentication, or undefined when its Host/Origin are acceptable. */
export function checkHostAndOrigin(
  headers: { host?: string; origin?: string; 'sec-fetch-site'?: string },
  allowed: ReadonlySet<string>,
  scheme: 'http' | 'https',
): { status: number; code: ApiErrorCode; message: string } | undefined {
  const host = (headers.host ?? '').trim().toLowerCase();
  if (!allowed.has(host)) {
    // 421 Misdirected Request (RFC 9110 §15.5.20): this server is not the authority the client named.
    return { status: 421, code: ApiErrorCode.BadHost, message: `Host "${headers.host ?? ''}" is not this API's address (${[...allowed].join(', ')})` };
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(origin);
      ok = u.protocol === `${scheme}:` && allowed.has(u.host.toLowerCase()) && u.pathname === '/';
    } catch {
      ok = false; // `null` (sandboxed frames, file:) and garbage
    }
    if (!ok) return { status: 403, code: ApiErrorCode.BadOrigin, message: `cross-origin requests are refused (Origin ${origin})` };
  }
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return { status: 403, code: ApiErrorCode.BadOrigin, message: `cross-site requests are refused (Sec-Fetch-Site: ${site})` };
  return undefined;
}

/** True when a `Content-Type` header's media type is `application/json` (parameters ignored). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** A copy of `env` without the API credential, for processes that must not act on the API (apps). */
export function withoutApiCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out[API_TOKEN_ENV];
  return out;
}
