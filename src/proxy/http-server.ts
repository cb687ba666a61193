/**
 * One bound HTTP/1.1 listener socket of the proxy: a node:http server with keep-alive, Node's
 * strict parser (llhttp; malformed requests get 400, oversized headers 431, without reaching the
 * handler), connection tracking, and a graceful close: stop accepting, let in-flight requests
 * finish, close idle keep-alive connections, and force-close whatever remains after a deadline.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Handles one request; must not throw. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Settings of a listener. */
export interface HttpListenerOptions {
  /** Idle keep-alive timeout of downstream connections (ms). */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request head accepted (bytes); larger gets 431. Node's default is 16 KiB. */
  readonly maxHeaderSize?: number;
}

/** A bound listener. */
export class HttpListener {
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(handler: RequestHandler, opts: HttpListenerOptions = {}) {
    this.server = http.createServer({ keepAlive: true, maxHeaderSize: opts.maxHeaderSize, requestTimeout: 0 }, handler);
    this.server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 60_000;
    this.server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Binds `host:port` (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Open downstream connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Drains: stops accepting, closes idle connections (and each busy one once its response is
   * done, since Node then sends `Connection: close`), force-closes the rest after `graceMs`.
   */
  close(graceMs = 5000): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
      // Connections that finish their current response become idle: close them as they do.
      const sweep = setInterval(() => {
        this.server.closeIdleConnections();
        if (this.sockets.size === 0) clearInterval(sweep);
      }, 50);
      sweep.unref();
      this.server.once('close', () => clearInterval(sweep));
    });
    return this.closing;
  }
}
