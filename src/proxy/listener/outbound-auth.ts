/**
 * Who may use a sidecar's outbound listener (its HTTP_PROXY, 15001). In a cluster Istio captures
 * only the pod's own traffic (iptables in the pod's network namespace, with the proxy's UID 1337
 * excluded); under `weft up` every pod shares the host's loopback, and the kernel gives a
 * connection from an unbound socket to any 127.x address the source 127.0.0.1 (the local route's
 * preferred source), so the peer address cannot tell the pod's app from any other local process.
 * Instead each pod has a secret credential that only its app (and whoever can read the sidecar's
 * environment: the user running `weft up`, for `weft exec`) knows: the app's proxy URL is
 * `http://weft:<secret>@<pod IP>:15001`, which curl, Python, Go and undici's EnvHttpProxyAgent send
 * as `Proxy-Authorization: Basic …` (RFC 9110 §11.7.1) on every proxied request and on CONNECT.
 * The sidecar checks it in constant time, removes it before forwarding (it is meant for this hop
 * only), and answers 407 with `Proxy-Authenticate` otherwise (RFC 9110 §15.5.8). A connection
 * tunnelled with an authorized CONNECT carries requests without the header; it is marked as
 * authorized once.
 * The sidecar reads the secret from `WEFT_OUTBOUND_CREDENTIAL` (or `--outbound-credential-file`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DownstreamRequest } from '../http/downstream.js';
import type { Socket } from 'node:net';

/** Environment variable holding a sidecar's outbound credential. */
export const OUTBOUND_CREDENTIAL_ENV = 'WEFT_OUTBOUND_CREDENTIAL';
/** The user name in the proxy URL (any name is accepted; only the password is the secret). */
export const OUTBOUND_CREDENTIAL_USER = 'weft';

/** The proxy URL an app uses: `http://weft:<secret>@<host>:<port>`. */
export function outboundProxyUrl(host: string, port: number, secret: string): string {
  return `http://${OUTBOUND_CREDENTIAL_USER}:${encodeURIComponent(secret)}@${host}:${port}`;
}

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Checks `Proxy-Authorization` against one secret. */
export class OutboundAuth {
  private readonly expected: Buffer;
  /** Connections that presented the secret (keep-alive connections and CONNECT tunnels). */
  private readonly trusted = new WeakSet<Socket>();

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('outbound credential must be at least 16 characters');
    this.expected = digest(secret);
  }

  /**
   * True when the request may use the listener: its `Proxy-Authorization` is Basic with the
   * secret as password, or it arrived on a connection that already proved the secret (an earlier
   * request on the same keep-alive connection, or an authorized CONNECT tunnel), so the check costs
   * one hash per connection, not per request. The header is removed either way, so it never
   * reaches the upstream.
   */
  authorize(req: DownstreamRequest): boolean {
    const header = req.headers['proxy-authorization'];
    delete req.headers['proxy-authorization'];
    const socket = req.socket as Socket | undefined;
    if (socket !== undefined && this.trusted.has(socket)) return true;
    const ok = this.matches(header);
    if (ok && socket !== undefined) this.trusted.add(socket);
    return ok;
  }

  /** Remembers that requests on `socket` (an authorized CONNECT tunnel) need no header. */
  trustTunnel(socket: Socket): void {
    this.trusted.add(socket);
  }

  /** Constant-time comparison of the Basic credential's password with the secret. */
  matches(header: string | undefined): boolean {
    let password = '';
    const m = header === undefined ? null : /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      password = colon >= 0 ? decoded.slice(colon + 1) : '';
    }
    // Both sides hashed to the same length: the comparison time depends on neither secret nor input.
    const ok = timingSafeEqual(digest(password), this.expected);
    return ok && m !== null;
  }
}

/** The 407 answer of a refused outbound request. */
export const PROXY_AUTH_REQUIRED_HEAD = {
  status: 407,
  headers: { 'proxy-authenticate': 'Basic realm="weft-outbound"', 'content-type': 'text/plain' },
  body: "proxy authentication required: only this pod's app may use its outbound listener (use the HTTP_PROXY weft up gives it, or weft exec)\n",
} as const;

/** Writes the 407 answer on a raw socket (CONNECT). */
export function rejectTunnel(socket: Socket): void {
  if (socket.destroyed) return;
  const h = PROXY_AUTH_REQUIRED_HEAD;
  const head = Object.entries(h.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 407 Proxy Authentication Required\r\n${head}connection: close\r\ncontent-length: ${Buffer.byteLength(h.body)}\r\n\r\n${h.body}`);
}
