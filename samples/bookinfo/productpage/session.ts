/**
 * productpage's session: the signed-in user kept in a `session` cookie, signed with HMAC-SHA256 so
 * a browser cannot forge another user by editing it (Istio's productpage keeps it in Flask's
 * signed session). The key is `SESSION_SECRET`, or a fixed default so that every productpage
 * replica accepts the others' cookies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie's name. */
export const SESSION_COOKIE = 'session';

/** User names productpage accepts (they travel in the `end-user` header). */
const USER_NAME = /^[A-Za-z0-9._@+-]{1,64}$/;

/** True when `name` is an acceptable user name. */
export function isValidUserName(name: string): boolean {
  return USER_NAME.test(name);
}

/** Parses a `Cookie` header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** Signs and checks session cookies. */
export class SessionCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  /** The cookie value for `user`. */
  encode(user: string): string {
    const payload = Buffer.from(user, 'utf8').toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The user in a cookie value, or undefined when it is malformed or its signature is wrong. */
  decode(value: string): string | undefined {
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.sign(payload), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const user = Buffer.from(payload, 'base64url').toString('utf8');
    return isValidUserName(user) ? user : undefined;
  }

  /** The signed-in user of a request, from its `Cookie` header. */
  userFromCookies(cookieHeader: string | undefined): string | undefined {
    const value = parseCookies(cookieHeader).get(SESSION_COOKIE);
    return value === undefined ? undefined : this.decode(value);
  }

  /** A `Set-Cookie` value that signs `user` in. */
  setCookie(user: string): string {
    return `${SESSION_COOKIE}=${this.encode(user)}; Path=/; HttpOnly; SameSite=Lax`;
  }

  /** A `Set-Cookie` value that signs out. */
  clearCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
  }
}

/** The default signing key when `SESSION_SECRET` is unset. */
export const DEFAULT_SESSION_SECRET = 'weft-bookinfo-sample-session';
