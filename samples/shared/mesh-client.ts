/**
 * The HTTP client the sample apps use to call other services by name, as they would in a cluster
 * (`http://reviews:9080/reviews/0`). Node's http client ignores `HTTP_PROXY`, so this one honours
 * it: when `HTTP_PROXY` (or `http_proxy`) is set — `weft up` points it at the pod's sidecar — each
 * request is sent in proxy form (`GET http://reviews:9080/reviews/0 HTTP/1.1`, `Host: reviews:9080`)
 * to that address; hosts listed in `NO_PROXY` and every request when no proxy is set go directly.
 * Connections are kept alive; every call has its own timeout covering the whole exchange.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { NoProxyList } from './no-proxy.js';

/** One request. */
export interface MeshRequest {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Time allowed for the whole call: connect, send, and read the full response. */
  readonly timeoutMs: number;
}

/** A complete response. */
export interface MeshResponse {
  /** The HTTP status code. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Why a call failed without a response. */
export type MeshErrorKind = 'timeout' | 'connect' | 'reset' | 'too-large' | 'invalid-url';

/** A call that produced no response (a status code, even 5xx, is a response, not an error). */
export class MeshCallError extends Error {
  /** What went wrong. */
  readonly kind: MeshErrorKind;
  /** The URL that was called. */
  readonly url: string;
  constructor(kind: MeshErrorKind, url: string, message: string) {
    super(`${url}: ${message}`);
    this.name = 'MeshCallError';
    this.kind = kind;
    this.url = url;
  }
}

/** Options of {@link MeshClient}. */
export interface MeshClientOptions {
  /** Proxy URL (`http://127.10.0.5:15001`); undefined = always connect directly. */
  readonly proxy?: string;
  /** `NO_PROXY` list. */
  readonly noProxy?: string;
  /** Largest response body accepted (default 16 MiB). */
  readonly maxResponseBytes?: number;
}

/** How a URL is reached. */
export interface MeshRoute {
  readonly via: 'proxy' | 'direct';
  /** Address the TCP connection goes to. */
  readonly host: string;
  readonly port: number;
}

interface ProxyTarget {
  readonly host: string;
  readonly port: number;
  readonly authorization?: string;
}

/** Sends requests through the sidecar named by `HTTP_PROXY`, or directly. */
export class MeshClient {
  private readonly proxy?: ProxyTarget;
  private readonly noProxy: NoProxyList;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });
  private readonly maxResponseBytes: number;

  constructor(options: MeshClientOptions = {}) {
    this.proxy = options.proxy ? parseProxy(options.proxy) : undefined;
    this.noProxy = new NoProxyList(options.noProxy);
    this.maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /** A client configured from `HTTP_PROXY`/`http_proxy` and `NO_PROXY`/`no_proxy`. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): MeshClient {
    const proxy = env.HTTP_PROXY?.trim() || env.http_proxy?.trim() || undefined;
    const noProxy = env.NO_PROXY ?? env.no_proxy;
    return new MeshClient({ proxy, noProxy });
  }

  /** Where a request to `url` connects. */
  route(url: URL): MeshRoute {
    const port = url.port ? Number(url.port) : 80;
    if (this.proxy && !this.noProxy.matches(url.hostname, port)) {
      return { via: 'proxy', host: this.proxy.host, port: this.proxy.port };
    }
    return { via: 'direct', host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }

  /** Sends one request and reads the whole response. Rejects only with {@link MeshCallError}. */
  request(target: string, req: MeshRequest): Promise<MeshResponse> {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.reject(new MeshCallError('invalid-url', target, 'invalid URL'));
    }
    if (url.protocol !== 'http:') return Promise.reject(new MeshCallError('invalid-url', target, 'only http:// URLs are supported'));
    const route = this.route(url);
    const headers: OutgoingHttpHeaders = { ...req.headers, host: url.host };
    if (route.via === 'proxy' && this.proxy?.authorization) headers['proxy-authorization'] = this.proxy.authorization;
    const path = route.via === 'proxy' ? `${url.protocol}//${url.host}${url.pathname}${url.search}` : `${url.pathname}${url.search}`;
    const method = (req.method ?? 'GET').toUpperCase();
    const idempotent = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
    return new Promise<MeshResponse>((resolve, reject) => {
      let settled = false;
      let current: http.ClientRequest | undefined;
      const fail = (kind: MeshErrorKind, message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new MeshCallError(kind, target, message));
      };
      const timer = setTimeout(() => {
        fail('timeout', `no complete response within ${req.timeoutMs} ms`);
        current?.destroy();
      }, req.timeoutMs);
      const attempt = (mayRetry: boolean): void => {
        const out = http.request({ host: route.host, port: route.port, method, path, headers, agent: this.agent, setHost: false });
        current = out;
        let responded = false;
        out.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed while idle: resend once on a fresh one.
          if (mayRetry && idempotent && out.reusedSocket && !responded && !settled && err.code === 'ECONNRESET') {
            attempt(false);
            return;
          }
          const connect = ['ECONNREFUSED', 'ENOTFOUND', 'EADDRNOTAVAIL', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(err.code ?? '');
          fail(connect ? 'connect' : 'reset', err.message);
        });
        out.on('response', (res) => {
          responded = true;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              fail('too-large', `response larger than ${this.maxResponseBytes} bytes`);
              out.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on('aborted', () => fail('reset', 'response aborted'));
          res.on('error', (err) => fail('reset', err.message));
        });
        out.end(req.body);
      };
      attempt(true);
    });
  }

  /** Sends a GET. */
  get(url: string, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<MeshResponse> {
    return this.request(url, { method: 'GET', headers, timeoutMs });
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}

function parseProxy(value: string): ProxyTarget {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const u = new URL(withScheme);
  if (u.protocol !== 'http:') throw new Error(`unsupported proxy scheme in ${JSON.stringify(value)}: only http:// proxies are supported`);
  const port = u.port ? Number(u.port) : 80;
  const authorization = u.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
    : undefined;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, authorization };
}

/** Parses a JSON body, or returns undefined when it is not valid JSON. */
export function parseJsonBody(res: MeshResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
