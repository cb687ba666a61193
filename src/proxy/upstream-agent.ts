/**
 * The keep-alive connection pool of one upstream host: a node:http Agent that counts connections
 * into the cluster's Envoy stats (`upstream_cx_total`, `upstream_cx_active`,
 * `upstream_cx_connect_fail`) and enforces the cluster's connect timeout. One per (cluster, host),
 * kept across config pushes so keep-alive connections survive them.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ClusterStats } from './proxy-stats.js';

/** Error code given to a socket destroyed because connecting took longer than the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'WEFT_CONNECT_TIMEOUT';

/** Pool settings of one host. */
export interface UpstreamAgentOptions {
  readonly connectTimeoutMs: number;
  /** Idle keep-alive connections close after this long (ms). */
  readonly idleTimeoutMs: number;
}

/** A keep-alive Agent that counts connections and times out connects. */
export class UpstreamAgent extends http.Agent {
  constructor(private readonly stats: ClusterStats, private readonly opts: UpstreamAgentOptions) {
    super({ keepAlive: true, keepAliveMsecs: 1000, scheduling: 'lifo', timeout: opts.idleTimeoutMs });
  }

  /** Node's hook for a new socket: counted, with a connect deadline. */
  override createConnection(options: object, callback?: (err: Error | null, s: Socket) => void): Socket {
    // http.Agent#createConnection is untyped in @types/node for subclasses; it returns a net.Socket.
    const create = http.Agent.prototype.createConnection as unknown as (this: http.Agent, o: object, cb?: unknown) => Socket;
    const socket = create.call(this, options, callback);
    const stats = this.stats;
    stats.cxTotal.inc();
    stats.cxActive.inc();
    socket.once('close', onClose);
    if (this.opts.connectTimeoutMs > 0) {
      const timer = setTimeout(onConnectTimeout, this.opts.connectTimeoutMs, socket, stats);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    }
    function onClose(): void {
      stats.cxActive.dec();
    }
    return socket;
  }

  /** Closes idle keep-alive sockets (used when the host leaves the cluster). */
  closeIdle(): void {
    for (const list of Object.values(this.freeSockets)) for (const s of list ?? []) s.destroy();
  }
}

function onConnectTimeout(socket: Socket, stats: ClusterStats): void {
  if (!socket.connecting) return;
  stats.cxConnectFail.inc();
  const err = Object.assign(new Error('upstream connect timeout'), { code: CONNECT_TIMEOUT_CODE });
  socket.destroy(err);
}
