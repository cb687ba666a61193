/**
 * A local node:http server for the load tests, on 127.0.0.1 with an ephemeral port. It counts
 * what it receives and answers by path: `/mixed` gives 503 to every third request and 200
 * otherwise, `/slow?ms=N` answers after N ms, `/stall-once?at=K&ms=N` delays only the K-th request with that query,
 * `/chunked` streams a chunked body, anything else gives 200 "ok".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server saw. */
export interface ServerLog {
  requests: number;
  /** Status → count of responses sent. */
  readonly sent: Map<number, number>;
  readonly hosts: string[];
  readonly methods: string[];
  readonly bodyBytes: number[];
  /** Distinct client connections. */
  connections: number;
}

/** A running test server. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly log: ServerLog;
  close(): Promise<void>;
}

/** Starts the server. */
export async function startLoadServer(): Promise<TestServer> {
  const log: ServerLog = { requests: 0, sent: new Map(), hosts: [], methods: [], bodyBytes: [], connections: 0 };
  let mixed = 0;
  const stalls = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      log.requests++;
      log.hosts.push(req.headers.host ?? '');
      log.methods.push(req.method ?? '');
      log.bodyBytes.push(bytes);
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, body: string) => {
        log.sent.set(status, (log.sent.get(status) ?? 0) + 1);
        res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      const later = (ms: number, fn: () => void) => {
        const t = setTimeout(() => {
          timers.delete(t);
          fn();
        }, ms);
        timers.add(t);
      };
      if (url.pathname === '/mixed') reply(++mixed % 3 === 0 ? 503 : 200, 'mixed');
      else if (url.pathname === '/slow') later(Number(url.searchParams.get('ms') ?? 100), () => reply(200, 'slow'));
      else if (url.pathname === '/stall-once') {
        const at = Number(url.searchParams.get('at') ?? 10);
        const seen = (stalls.get(url.search) ?? 0) + 1;
        stalls.set(url.search, seen);
        if (seen === at) later(Number(url.searchParams.get('ms') ?? 300), () => reply(200, 'stalled'));
        else reply(200, 'ok');
      } else if (url.pathname === '/chunked') {
        log.sent.set(200, (log.sent.get(200) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('abc');
        res.end('defgh');
      } else reply(200, 'ok');
    });
  });
  server.on('connection', () => log.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
