/**
 * The connection an HTTP health checker keeps to one host, as Envoy's HTTP health checker does
 * (`source/extensions/health_checkers/http/health_checker_impl.cc`): a connection of its own, not
 * one of the host's traffic pool (so it is not counted in `upstream_cx_*` nor by the circuit
 * breaker), opened with the cluster's connect timeout and over the cluster's TLS when it has one
 * (the cluster's transport socket), reused from check to check (`reuse_connection`, default true)
 * unless the response says `Connection: close`, and closed when a check times out (Envoy's
 * `onTimeout` closes the client) or `reuse_connection` is false.
 */
import type { Socket } from 'node:net';
import { H1Pool, type UpstreamSocketFactory } from '../h1/h1-pool.js';
import { H1Call, type H1CallDone } from '../h1/h1-call.js';
import { dialPlain } from './upstream-dial.js';
import type { UpstreamTlsConnector } from '../tls/upstream-connector.js';
import type { UpstreamTransport } from '../tls/auto-sni.js';
import { CONNECT_TIMEOUT_CODE } from './connect-timeout.js';

/** What the checker reads from the host's connections (HostConnections): its TLS and connect timeout. */
export interface HealthCheckTransport {
  readonly tls: UpstreamTlsConnector | undefined;
  readonly settings: { readonly connectTimeoutMs: number };
}

/** One host's health-check connection (see the file comment). */
export class HealthCheckConnection implements UpstreamSocketFactory {
  private pool: H1Pool | undefined;
  private poolTls: UpstreamTlsConnector | undefined;
  readonly idleTimeoutMs = 0;
  readonly maxConnectionDurationMs = 0;

  /**
   * @param transport the host's TLS and connect timeout, read at each check (a push may change them).
   * @param reuse Envoy's `reuse_connection`: false closes the connection after every check.
   */
  constructor(private readonly address: string, private readonly port: number, private readonly transport: HealthCheckTransport | undefined, private readonly reuse: boolean) {}

  /** Requests per connection: one when connections are not reused. */
  get maxRequestsPerConnection(): number {
    return this.reuse ? 0 : 1;
  }

  /**
   * Sends one check request (`host` header and `user-agent: Envoy/HC`); `done` gets the status
   * (0 when the check got no complete response within `timeoutMs`).
   */
  check<C>(method: string, path: string, host: string, timeoutMs: number, context: C, done: H1CallDone<C>): void {
    const tls = this.transport?.tls;
    if (this.pool === undefined || tls !== this.poolTls) {
      // The cluster's TLS changed (or first check): connections of the old setting go.
      this.pool?.destroy();
      this.poolTls = tls;
      this.pool = new H1Pool(this, this.address, this.port, tls?.transportFor({ host }));
    }
    new H1Call(this.pool, method, path, { host, 'user-agent': 'Envoy/HC' }, { bodyless: true, timeoutMs }, context, done);
  }

  /** Opens the connection: plain (or pipe) or TLS, with the cluster's connect timeout. */
  openSocket(address: string, port: number, transport?: UpstreamTransport): Socket {
    const tls = this.poolTls;
    const socket = tls !== undefined ? tls.connect({ host: address, port }, transport, 'http/1.1') : dialPlain(address, port);
    socket.setNoDelay(true);
    const ms = this.transport?.settings.connectTimeoutMs ?? 0;
    if (ms > 0) {
      const timer = setTimeout(() => {
        if (socket.connecting) socket.destroy(Object.assign(new Error('health check connect timeout'), { code: CONNECT_TIMEOUT_CODE }));
      }, ms);
      timer.unref();
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    }
    return socket;
  }

  onMaxDuration(): void {
    // No connection lifetime for health checks.
  }

  onMaxRequests(): void {
    // `reuse_connection: false`: the connection closes after its check; nothing to count.
  }

  onIdle(): void {
    // Nobody waits for a health-check connection.
  }

  /** Closes the connection (the host left, or checking stopped). */
  close(): void {
    this.pool?.destroy();
    this.pool = undefined;
  }
}
