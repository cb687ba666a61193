/**
 * A small keep-alive HTTP client for end-to-end tests: GET with headers, returning status, body
 * and headers; errors come back as status -1 with the message, never thrown.
 */
import http from 'node:http';

/** A response, or status -1 with `error` on a connection failure. */
export interface SimpleResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly error?: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Sends a GET (or `method`) and reads the whole body. */
export function get(url: string, headers: Record<string, string> = {}, options: { timeoutMs?: number; method?: string; body?: string } = {}): Promise<SimpleResponse> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers, agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', (e) => resolve({ status: -1, body, headers: res.headers, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: '', headers: {}, error: e.message }));
    req.end(options.body);
  });
}

/** Closes pooled connections (call in `after`). */
export function closeClients(): void {
  agent.destroy();
}
