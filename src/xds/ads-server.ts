/**
 * Weft's state-of-the-world ADS server: one gRPC bidi stream per proxy carrying LDS, RDS, CDS, EDS
 * and SDS (Secret), fed by a resource provider. `push()` recomputes resources for connected
 * proxies and sends only the types whose content changed for each (`schedulePush()` does the same
 * without blocking: batched, yielding to the event loop, coalesced per proxy, respecting write
 * backpressure; see push-scheduler.ts); `status()` reports per-proxy
 * sync state for `weft proxy-status` and `/debug/syncz`. Per-stream protocol details live in
 * ads-connection.ts; encoding caches in ads-wire.ts.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { adsPreEncodedServiceDefinition, type DiscoveryRequestMessage } from './discovery-service.js';
import { AdsConnection, type ConnectionContext } from './ads-connection.js';
import { ResourceEncoder, type EncodeFn, type EncoderStats } from './ads-wire.js';
import { EncodedSetCache, MapDiffs } from './ads-cache.js';
import { AdsError, AdsErrorCode } from './ads-errors.js';
import type { ProxyResources } from './ads-types.js';
import { PushScheduler, type ScheduledPushResult } from './push-scheduler.js';
import { paceLargeWrites } from './ads-paced-writes.js';
import type { NodeInfo } from './node-info.js';
import type { ProxySyncStatus } from './sync-status.js';

export type { ProxyResources } from './ads-types.js';

/** Versions per push round (see AdsServer.streamContext). */
const ROUND_VERSIONS = 2 ** 20;

/** Supplies already-translated resources for a proxy; undefined = nothing to send (yet). */
export interface ResourceProvider {
  resourcesFor(node: NodeInfo): ProxyResources | undefined;
}

/** A server-side ADS stream as grpc-js hands it over. */
export type AdsCall = grpc.ServerDuplexStream<DiscoveryRequestMessage, Buffer>;

/** Refusal of a stream: the gRPC status the client gets and why (sent as status details, logged). */
export interface AdsRefusal {
  code: grpc.status;
  reason: string;
}

/**
 * How the streams of one listening port are admitted, as istiod's `authenticate` and
 * `checkConnectionIdentity` do (pilot/pkg/xds/authentication.go): the transport proves who the
 * peer is when the stream opens; the node the first request claims must then fit that identity.
 */
export interface AdsAccessPolicy {
  /**
   * Called when a stream opens, before any request is read: the principal the transport
   * authenticated (undefined: none, e.g. plaintext), or a refusal (the stream is closed with it).
   */
  authenticate?: (call: AdsCall) => { principal: string | undefined } | AdsRefusal;
  /**
   * Called with the first request's node and the stream's principal: the node to serve (the
   * claimed one, or one with fields corrected from authoritative sources), or a refusal.
   */
  authorize?: (node: NodeInfo, principal: string | undefined) => { node: NodeInfo } | AdsRefusal;
  /** Whether streams of this port may receive Secret (SDS) resources; default true. */
  secrets?: boolean;
}

/** Options of {@link AdsServer}. */
export interface AdsServerOptions extends AdsAccessPolicy {
  provider: ResourceProvider;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; default 15010; 0 picks a free one (see `port` after start). */
  port?: number;
  /** TLS for port 15012; default plaintext. */
  credentials?: grpc.ServerCredentials;
  /** Sent as DiscoveryResponse.control_plane.identifier; default `weft`. */
  controlPlaneId?: string;
  /** How long `stop()` waits for streams to close before forcing; default 5000 ms. */
  stopGraceMs?: number;
  /** Extra @grpc/grpc-js server options. */
  grpcOptions?: grpc.ServerOptions;
  /** Resource encoder; default protos.ts's `encodeResource`. */
  encode?: EncodeFn;
  /** `schedulePush()`: work per slice before yielding to the event loop (ms); default 10. */
  pushSliceMs?: number;
}

/** Events of {@link AdsServer} and their listener arguments. */
export interface AdsServerEvents {
  /** A proxy opened a stream and identified itself. */
  connect: [node: NodeInfo, streamId: number];
  /** A proxy's stream closed. */
  disconnect: [node: NodeInfo, streamId: number];
  /** A proxy accepted `version` of `typeUrl`. */
  ack: [node: NodeInfo, typeUrl: string, version: string];
  /** A proxy rejected `version` of `typeUrl` with `message`. */
  nack: [node: NodeInfo, typeUrl: string, version: string, message: string];
  /** A stream-level failure (provider threw, a resource did not encode, a protocol error). */
  error: [err: AdsError, node: NodeInfo | undefined];
  /** A stream was refused by its port's {@link AdsAccessPolicy} (node: as claimed, when known). */
  refused: [refusal: AdsRefusal, node: NodeInfo | undefined, peer: string];
}

/** Outcome of one {@link AdsServer.push}. */
export interface PushResult {
  /** Proxies recomputed. */
  proxies: number;
  /** DiscoveryResponses sent. */
  responses: number;
}

/** State-of-the-world ADS server for Weft's proxies, Envoy, and gRPC xDS clients. */
export class AdsServer extends EventEmitter<AdsServerEvents> {
  private readonly opts: AdsServerOptions;
  private server: grpc.Server | undefined;
  private readonly conns = new Set<AdsConnection>();
  private readonly encoder: ResourceEncoder;
  private readonly instance = randomBytes(4).toString('hex');
  /**
   * Push round: advanced by every push. A response's version and nonce are the round and the
   * stream's count of responses in that round, so proxies that get the same content in a push get
   * byte-identical responses, built once (ads-wire.ts `encodeResponse`); per stream, versions still
   * increase and nonces never repeat.
   */
  private round = 1;
  private streamIds = 0;
  private boundPort: number | undefined;
  /** Servers owned by someone else that carry this ADS service too (see {@link attach}). */
  private attached = 0;
  private readonly scheduler: PushScheduler<AdsConnection>;

  constructor(options: AdsServerOptions) {
    super();
    this.opts = options;
    this.scheduler = new PushScheduler({ sliceMs: options.pushSliceMs });
    this.encoder = new ResourceEncoder(options.encode);
    // An 'error' event without listeners would throw; stream errors must never crash the server.
    this.on('error', () => {});
  }

  /** The bound port once started (useful with port 0). */
  get port(): number {
    if (this.boundPort === undefined) throw new AdsError(AdsErrorCode.NotRunning, 'ADS server is not started');
    return this.boundPort;
  }

  /** `host:port` clients should dial once started. */
  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Encoding cache counters: encodes vs identity-cache hits. */
  get encoderStats(): Readonly<EncoderStats> {
    return this.encoder.stats;
  }

  /** Number of open streams. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** gRPC server options ADS needs on any server that carries it (no send limit: large pushes). */
  static readonly GRPC_OPTIONS: grpc.ServerOptions = { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': 16 * 1024 * 1024 };

  /**
   * Serves ADS on a server someone else owns and binds (istiod serves xDS and the CA on one port,
   * 15012), with that port's access `policy`. Call before the server binds. `stop()` ends this
   * server's streams; shutting the server down stays with its owner.
   */
  attach(server: grpc.Server, policy: AdsAccessPolicy): void {
    server.addService(adsPreEncodedServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.accept(call, policy),
    });
    this.attached++;
  }

  /** Binds and starts serving; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    const server = new grpc.Server({ ...AdsServer.GRPC_OPTIONS, ...this.opts.grpcOptions });
    server.addService(adsPreEncodedServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.accept(call, this.opts),
    });
    const host = this.opts.host ?? '127.0.0.1';
    const target = `${host.includes(':') ? `[${host}]` : host}:${this.opts.port ?? 15010}`;
    const creds = this.opts.credentials ?? grpc.ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(target, creds, (err, port) => {
        if (err) reject(new AdsError(AdsErrorCode.Bind, `cannot bind ADS server on ${target}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
    this.server = server;
    return this.boundPort;
  }

  /**
   * Stops gracefully: refuses new streams, ends every open stream with OK (clients reconnect,
   * keeping their config), then waits up to `stopGraceMs` before forcing the transport down.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.stopped = true;
    if (!server) {
      for (const c of [...this.conns]) c.end();
      this.conns.clear();
      return;
    }
    this.server = undefined;
    const done = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    for (const c of [...this.conns]) c.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.opts.stopGraceMs ?? 5000);
    });
    const outcome = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') server.forceShutdown();
    this.conns.clear();
    this.boundPort = undefined;
  }

  /**
   * Recomputes resources for connected proxies (all, or those `filter` selects) and sends, per
   * proxy, a DiscoveryResponse only for the types whose content changed, in CDS, EDS, LDS, RDS,
   * SDS order.
   */
  push(filter?: (node: NodeInfo) => boolean): PushResult {
    this.round++;
    const result: PushResult = { proxies: 0, responses: 0 };
    for (const c of this.conns) {
      if (!c.node || (filter && !filter(c.node))) continue;
      result.proxies++;
      result.responses += c.refresh();
    }
    return result;
  }

  /**
   * Like {@link push}, without blocking: the selected proxies are queued and refreshed in slices
   * between which the event loop runs, so the first proxies' responses go out before the last are
   * computed. A proxy still queued from an earlier call is refreshed once, against the newest
   * resources; one whose stream is backlogged waits for it to drain. Resolves when the queue is
   * empty, with the counts of the round.
   */
  schedulePush(filter?: (node: NodeInfo) => boolean): Promise<ScheduledPushResult> {
    this.round++;
    const selected: AdsConnection[] = [];
    for (const c of this.conns) if (c.node && (!filter || filter(c.node))) selected.push(c);
    return this.scheduler.schedule(selected);
  }

  /** Proxies queued by {@link schedulePush} and not refreshed yet. */
  get pendingPushes(): number {
    return this.scheduler.pending;
  }

  /**
   * One row per connected proxy stream: id, connected-since, per-type state, versions, NACKs. A
   * proxy with a scheduled push not yet made shows its SYNCED types as STALE: what it holds may be
   * outdated until the push has been evaluated for it.
   */
  status(): ProxySyncStatus[] {
    const rows: ProxySyncStatus[] = [];
    for (const c of this.conns) {
      const row = c.status();
      if (row && this.scheduler.has(c)) {
        for (const t of Object.values(row.types)) if (t.state === 'SYNCED') t.state = 'STALE';
      }
      if (row) rows.push(row);
    }
    return rows.sort((a, b) => a.id.localeCompare(b.id) || a.streamId - b.streamId);
  }

  /** Nodes of the connected proxies. */
  nodes(): NodeInfo[] {
    return [...this.conns].flatMap((c) => (c.node ? [c.node] : []));
  }

  private stopped = false;

  private accept(call: AdsCall, policy: AdsAccessPolicy): void {
    if (this.stopped || (!this.server && this.attached === 0)) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'ADS server is stopping' });
      return;
    }
    let principal: string | undefined;
    if (policy.authenticate) {
      const auth = policy.authenticate(call);
      if ('code' in auth) {
        this.emit('refused', auth, undefined, call.getPeer());
        call.emit('error', { code: auth.code, details: auth.reason });
        return;
      }
      principal = auth.principal;
    }
    // Large responses reach a TLS socket in slices (native buffers stay small; ads-paced-writes.ts).
    paceLargeWrites(call);
    const ctx = this.streamContext();
    ctx.secrets = policy.secrets ?? true;
    if (policy.authorize) {
      const authorize = policy.authorize;
      ctx.admit = (node) => {
        const r = authorize(node, principal);
        if ('code' in r) this.emit('refused', r, node, call.getPeer());
        return r;
      };
    }
    const conn = new AdsConnection(++this.streamIds, call, ctx);
    this.conns.add(conn);
  }

  /**
   * The context of one stream: the server-wide one with this stream's version and nonce counters.
   * Version `round × 2^20 + k` and nonce `<instance>-<round>.<k>`, k counting the stream's
   * responses in the round (separately for versions and nonces, which the connection asks for in
   * pairs): increasing, never repeated on the stream, and equal for proxies sent the same thing in
   * the same push.
   */
  private streamContext(): ConnectionContext {
    const counter = () => {
      let round = 0;
      let k = 0;
      return () => {
        if (round !== this.round) {
          round = this.round;
          k = 0;
        }
        return k++;
      };
    };
    const versions = counter();
    const nonces = counter();
    return {
      ...this.context(),
      nextVersion: () => String(this.round * ROUND_VERSIONS + versions()),
      nextNonce: () => `${this.instance}-${this.round}.${nonces()}`,
    };
  }

  private ctx: ConnectionContext | undefined;

  private context(): ConnectionContext {
    if (this.ctx) return this.ctx;
    this.ctx = {
      encoder: this.encoder,
      sets: new EncodedSetCache(this.encoder),
      diffs: new MapDiffs(),
      nextVersion: () => {
        throw new AdsError(AdsErrorCode.Protocol, 'versions are per stream (streamContext)');
      },
      nextNonce: () => {
        throw new AdsError(AdsErrorCode.Protocol, 'nonces are per stream (streamContext)');
      },
      controlPlaneId: this.opts.controlPlaneId ?? 'weft',
      secrets: true,
      resourcesFor: (node) => this.opts.provider.resourcesFor(node),
      onConnect: (conn) => this.emit('connect', conn.node!, conn.streamId),
      onClose: (conn) => {
        this.scheduler.remove(conn);
        if (this.conns.delete(conn) && conn.node) this.emit('disconnect', conn.node, conn.streamId);
      },
      onAck: (conn, typeUrl, version) => this.emit('ack', conn.node!, typeUrl, version),
      onNack: (conn, typeUrl, version, message) => this.emit('nack', conn.node!, typeUrl, version, message),
      onError: (conn, err) => this.emit('error', err, conn.node),
    };
    return this.ctx;
  }
}
