/**
 * HTTP clients for end-to-end tests: one request on its own connection (no pooling unless the test
 * passes an agent), bounded by a timeout, that resolves with status, headers and body whatever the
 * status (a 503 from the proxy is an answer to assert, not an error).
 */
import http from 'node:http';

/** A response as a test asserts it. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request to `host:port`. */
export interface RequestOptions {
  readonly host: string;
  readonly port: number;
  /** Origin form (`/x`) or, through a proxy, absolute form (`http://svc:9080/x`). */
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A keep-alive agent to reuse connections (default: a new connection). */
  readonly agent?: http.Agent;
  /** Abort after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/** Sends one request; rejects only on a connection error or the timeout. */
export function httpRequest(o: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: o.host, port: o.port, method: o.method ?? 'GET', path: o.path, headers: { ...o.headers }, agent: o.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A request through a sidecar's outbound listener at `ip:port` as an HTTP_PROXY client sends it:
 * absolute-form target, `Host` from the URL (Envoy's http_connection_manager routes on it).
 */
export function viaProxy(ip: string, port: number, url: string, opts: { method?: string; headers?: Readonly<Record<string, string>>; agent?: http.Agent } = {}): Promise<Reply> {
  return httpRequest({ host: ip, port, path: url, method: opts.method, headers: { host: new URL(url).host, ...opts.headers }, agent: opts.agent });
}
