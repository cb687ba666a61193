/**
 * The HTTP server every sample app runs on: listens on `HOST:PORT` from the environment (as
 * `weft up` sets them), logs one line per request to stdout, turns a handler failure into a 500
 * JSON error instead of a crash, answers malformed requests with 400, and on SIGTERM stops
 * accepting, lets in-flight requests finish and exits 0.
 */
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onShutdown } from './lifecycle.js';
import { BodyTooLargeError } from './request-body.js';
import { sendError } from './responses.js';

/** Where an app listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Reads `HOST` and `PORT` (defaults: 127.0.0.1 and `defaultPort`). `PORT=0` picks a free port,
 * which tests use; the chosen port is printed in the "listening on" line.
 */
export function listenAddress(env: NodeJS.ProcessEnv, defaultPort: number): ListenAddress {
  const host = env.HOST?.trim() || '127.0.0.1';
  const raw = env.PORT?.trim();
  const port = raw === undefined || raw === '' ? defaultPort : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid PORT ${JSON.stringify(raw)}`);
  return { host, port };
}

/** A request handler. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Options of {@link startHttpApp}. */
export interface HttpAppOptions {
  /** The app's name, printed in its log lines. */
  readonly name: string;
  /** The port used when `PORT` is unset. */
  readonly defaultPort: number;
  readonly handler: RequestHandler;
  /** Environment to read `HOST`, `PORT` and `POD_NAME` from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running app. */
export interface HttpApp {
  readonly server: Server;
  /** The address actually bound. */
  readonly address: ListenAddress;
}

/** Formats the one log line written per request. */
export function accessLogLine(req: IncomingMessage, status: number, durationMs: number): string {
  const id = req.headers['x-request-id'];
  const parts = [
    new Date().toISOString(),
    req.method ?? '-',
    req.url ?? '-',
    String(status),
    `${durationMs.toFixed(1)}ms`,
    `host=${req.headers.host ?? '-'}`,
  ];
  if (typeof id === 'string') parts.push(`x-request-id=${id}`);
  return parts.join(' ');
}

/** Starts the server, installs the SIGTERM handling and prints `NAME listening on http://HOST:PORT`. */
export async function startHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const env = options.env ?? process.env;
  const wanted = listenAddress(env, options.defaultPort);
  const server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 0 }, (req, res) => {
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      process.stdout.write(`${accessLogLine(req, res.statusCode, ms)}\n`);
    });
    Promise.resolve()
      .then(() => options.handler(req, res))
      .catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) {
          sendError(res, 413, err.message);
          return;
        }
        process.stderr.write(`${options.name}: error handling ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}\n`);
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.destroy();
      });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted.port, wanted.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address: ListenAddress = { host: wanted.host, port: bound.port };
  // Handle SIGTERM before announcing the address: whoever waits for that line may signal at once.
  onShutdown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  const pod = env.POD_NAME ? ` (pod ${env.POD_NAME})` : '';
  process.stdout.write(`${options.name} listening on http://${formatHost(address.host)}:${address.port}${pod}\n`);
  return { server, address };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts an app from a `main` module, printing a startup failure and exiting 1 instead of throwing. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    process.stderr.write(`failed to start: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
