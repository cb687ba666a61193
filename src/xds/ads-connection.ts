/**
 * One proxy's ADS stream on the server: the state-of-the-world protocol per type (subscriptions,
 * what was last sent, nonces, ACK/NACK) on top of one gRPC bidi stream. The server owns many of
 * these and asks each to refresh on a push; each sends a response only for types whose content
 * changed for its proxy.
 *
 * Protocol rules followed (Envoy's "xDS REST and gRPC protocol"):
 * - The first request on a stream must carry `node`; later ones may omit it.
 * - LDS and CDS are wildcard: every resource the provider gives for the proxy, names ignored,
 *   and every response carries the complete set (absence means deletion).
 * - RDS, EDS and SDS are named: only resources the latest request names, sent as soon as they
 *   are asked for or appear. A response carries only the named resources that are new to the
 *   stream or changed (the protocol groups these types per resource; clients keep the others),
 *   so one endpoint change sends one ClusterLoadAssignment, not all of them.
 *   Deleting one is implicit (its parent cluster/listener stops naming it), as in the protocol.
 * - A request whose `response_nonce` is neither empty nor the last nonce sent for its type is
 *   stale and ignored entirely.
 * - A request with the current nonce and `error_detail` is a NACK of the sent version; one with
 *   the current nonce, no `error_detail` and `version_info` equal to the sent version is an ACK.
 *   (The version check keeps a names update sent after a NACK from counting as an ACK.)
 * - A response goes out only when content changed for the proxy (bytes compared per resource,
 *   identity first); never the same content again (that would loop NACKs). A name the client
 *   drops and asks for again is sent again.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { DiscoveryRequestMessage } from './discovery-service.js';
import type { FastDiscoveryRequest } from './ads-request-codec.js';
import { parseNode, type NodeInfo } from './node-info.js';
import { SyncTracker, type ProxySyncStatus } from './sync-status.js';
import { PUSH_ORDER, WILDCARD_TYPES, isServedType, type ProxyResources } from './ads-types.js';
import { encodeResponse, sameBytes, type ResourceEncoder } from './ads-wire.js';
import type { EncodedSetCache, MapDiffs } from './ads-cache.js';
import { AdsError, AdsErrorCode } from './ads-errors.js';
import { TypeUrl } from '../envoy/type-url.js';

/** What a connection needs from its server. */
export interface ConnectionContext {
  encoder: ResourceEncoder;
  /** Shared encodings of whole resource Maps (wildcard types). */
  sets: EncodedSetCache;
  /** Shared diffs between successive resource Maps (named types). */
  diffs: MapDiffs;
  /** Next version_info; increasing across the server. */
  nextVersion(): string;
  /** Next nonce; unique across server instances. */
  nextNonce(): string;
  controlPlaneId?: string;
  /** Whether this stream may receive Secret (SDS) resources (false on plaintext ports). */
  secrets: boolean;
  /** Admits the node of the first request: the node to serve, or a refusal that closes the stream. */
  admit?(node: NodeInfo): { node: NodeInfo } | { code: GrpcStatus; reason: string };
  /** Resources for the proxy; may throw (reported, treated as undefined). */
  resourcesFor(node: NodeInfo): ProxyResources | undefined;
  onConnect(conn: AdsConnection): void;
  onClose(conn: AdsConnection): void;
  onAck(conn: AdsConnection, typeUrl: string, version: string): void;
  onNack(conn: AdsConnection, typeUrl: string, version: string, message: string): void;
  onError(conn: AdsConnection, err: AdsError): void;
}

interface Subscription {
  wildcard: boolean;
  names: Set<string>;
  /** Content the client holds after our responses: name → encoded bytes (named: owned, updated in place). */
  sent?: ReadonlyMap<string, Uint8Array>;
  /** Raw bytes of the names of the last request that changed them (named types). */
  namesKey?: Buffer;
  /** The provider's resource Map that `sent` was last reconciled with (named types). */
  basis?: ReadonlyMap<string, object>;
  sentVersion?: string;
  lastNonce?: string;
}

/** The server side of one ADS stream. */
export class AdsConnection {
  /** Node of the proxy, known after its first request. */
  node: NodeInfo | undefined;
  private tracker: SyncTracker | undefined;
  private resources: ProxyResources | undefined;
  private readonly subs = new Map<string, Subscription>();
  private closed = false;
  /** A write returned false and the stream has not drained since. */
  private backlog = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    readonly streamId: number,
    private readonly call: ServerDuplexStream<DiscoveryRequestMessage, Buffer>,
    private readonly ctx: ConnectionContext,
  ) {
    call.on('data', (req: DiscoveryRequestMessage) => this.onRequest(req));
    call.on('end', () => this.end());
    call.on('error', () => this.cleanup());
    call.on('cancelled', () => this.cleanup());
    call.on('close', () => this.cleanup());
    call.on('drain', () => this.drained());
  }

  /** True once the stream closed (or failed). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** True while the stream's write buffer is over its high-water mark (a write returned false, no `drain` yet). */
  get backlogged(): boolean {
    return this.backlog;
  }

  /** Calls `cb` once the stream can take writes again (at once when it can), or when it closes. */
  whenWritable(cb: () => void): void {
    if (!this.backlog || this.closed) cb();
    else this.drainWaiters.push(cb);
  }

  private drained(): void {
    this.backlog = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const cb of waiters) cb();
  }

  /** The status row of this stream, once the proxy identified itself. */
  status(): ProxySyncStatus | undefined {
    return this.tracker?.row();
  }

  /** Recomputes the proxy's resources and sends every subscribed type whose content changed, in push order. Returns the number of responses sent. */
  refresh(): number {
    if (this.closed || !this.node) return 0;
    this.resources = this.compute(this.node);
    let sent = 0;
    for (const typeUrl of PUSH_ORDER) {
      const sub = this.subs.get(typeUrl);
      if (sub && this.maybeSend(typeUrl, sub)) sent++;
    }
    return sent;
  }

  /** Ends the stream with OK status (the client will reconnect elsewhere or later). */
  end(): void {
    if (!this.closed) {
      try {
        this.call.end();
      } catch {
        // already finished
      }
    }
    this.cleanup();
  }

  private fail(code: GrpcStatus, details: string): void {
    this.ctx.onError(this, new AdsError(AdsErrorCode.Protocol, details));
    this.call.emit('error', { code, details });
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.onClose(this);
    this.drained();
  }

  private compute(node: NodeInfo): ProxyResources | undefined {
    try {
      const all = this.ctx.resourcesFor(node);
      if (this.ctx.secrets || !all?.has(TypeUrl.Secret)) return all;
      // A port that may not carry secrets never sends one, whatever the provider gave.
      const out = new Map(all);
      out.delete(TypeUrl.Secret);
      return out;
    } catch (cause) {
      this.ctx.onError(this, new AdsError(AdsErrorCode.Provider, `resources for ${node.id}: ${(cause as Error).message}`, { cause }));
      return this.resources;
    }
  }

  private onRequest(req: DiscoveryRequestMessage): void {
    if (this.closed) return;
    if (!this.node) {
      if (!req.node?.id) {
        this.fail(GrpcStatus.INVALID_ARGUMENT, 'the first DiscoveryRequest on a stream must carry node.id');
        return;
      }
      let node = parseNode(req.node);
      if (this.ctx.admit) {
        const admitted = this.ctx.admit(node);
        if ('code' in admitted) {
          this.fail(admitted.code, admitted.reason);
          return;
        }
        node = admitted.node;
      }
      this.node = node;
      this.tracker = new SyncTracker(this.node.id, this.node.cluster, this.streamId);
      this.resources = this.compute(this.node);
      this.ctx.onConnect(this);
    }
    const typeUrl = req.typeUrl ?? '';
    if (!isServedType(typeUrl)) return;
    const nonce = req.responseNonce ?? '';
    let sub = this.subs.get(typeUrl);
    if (sub && nonce !== '' && nonce !== sub.lastNonce) return; // stale
    if (!sub) {
      sub = { wildcard: WILDCARD_TYPES.has(typeUrl), names: new Set() };
      this.subs.set(typeUrl, sub);
      if (req.versionInfo) this.tracker!.reported(typeUrl, req.versionInfo);
    } else if (nonce !== '' && sub.sentVersion !== undefined) {
      const error = req.errorDetail;
      if (error && (error.message || error.code)) {
        const message = error.message || `NACK with code ${error.code}`;
        this.tracker!.nacked(typeUrl, sub.sentVersion, message);
        this.ctx.onNack(this, typeUrl, sub.sentVersion, message);
      } else if ((req.versionInfo ?? '') === sub.sentVersion) {
        this.tracker!.acked(typeUrl, sub.sentVersion);
        this.ctx.onAck(this, typeUrl, sub.sentVersion);
      }
    }
    // Content can only differ from what was sent when the type is new on this stream or its
    // names changed; otherwise (plain ACK/NACK) there is nothing to evaluate until a push.
    let evaluate = sub.sentVersion === undefined;
    if (!sub.wildcard) {
      // Raw-bytes key first (ads-request-codec.ts): unchanged names cost one memcmp.
      const key = (req as Partial<FastDiscoveryRequest>).resourceNamesKey;
      if (!(key && sub.namesKey?.equals(key))) {
        if (!sameNames(sub.names, req.resourceNames ?? [])) {
          sub.names = new Set(req.resourceNames ?? []);
          sub.basis = undefined;
          evaluate = true;
        }
        if (key) sub.namesKey = Buffer.from(key);
      }
    }
    if (evaluate) this.maybeSend(typeUrl, sub);
  }

  private maybeSend(typeUrl: string, sub: Subscription): boolean {
    const all = this.resources?.get(typeUrl);
    if (!all) return false;
    let frames: Buffer[] | undefined;
    try {
      frames = sub.wildcard ? this.wildcardFrames(typeUrl, sub, all) : this.namedFrames(typeUrl, sub, all);
    } catch (err) {
      this.ctx.onError(this, err instanceof AdsError ? err : new AdsError(AdsErrorCode.Encode, String(err)));
      return false;
    }
    if (!frames) return false;
    const version = this.ctx.nextVersion();
    const nonce = this.ctx.nextNonce();
    const parts = { versionInfo: version, typeUrl, nonce, frames, ...(this.ctx.controlPlaneId ? { controlPlaneId: this.ctx.controlPlaneId } : {}) };
    if (!this.call.write(encodeResponse(parts))) this.backlog = true;
    sub.sentVersion = version;
    sub.lastNonce = nonce;
    this.tracker!.sent(typeUrl, version, nonce, sub.sent?.size ?? 0);
    return true;
  }

  /** Wildcard type: the whole set (one shared body), or undefined when it did not change. */
  private wildcardFrames(typeUrl: string, sub: Subscription, all: ReadonlyMap<string, object>): Buffer[] | undefined {
    const set = this.ctx.sets.get(typeUrl, all);
    const unchanged = sub.sent !== undefined && this.ctx.sets.same(sub.sent, set.content, sameContent);
    sub.sent = set.content;
    return unchanged ? undefined : [set.body];
  }

  /**
   * Named type: frames of the subscribed resources that are new to the client or changed, or
   * undefined when there are none. Moving from the Map last reconciled to a new one only looks
   * at the names that changed between the two (shared across proxies); otherwise every
   * subscribed name is checked.
   */
  private namedFrames(typeUrl: string, sub: Subscription, all: ReadonlyMap<string, object>): Buffer[] | undefined {
    const encoder = this.ctx.encoder;
    const frames: Buffer[] = [];
    const check = (name: string, sent: Map<string, Uint8Array>): void => {
      const obj = all.get(name);
      if (!obj) {
        sent.delete(name);
        return;
      }
      const bytes = encoder.encode(typeUrl, obj);
      const old = sent.get(name);
      if (!old || !sameBytes(old, bytes)) frames.push(encoder.frame(typeUrl, bytes));
      sent.set(name, bytes);
    };
    if (sub.basis && sub.sent && sub.basis !== all) {
      const sent = sub.sent as Map<string, Uint8Array>;
      for (const name of this.ctx.diffs.changed(sub.basis, all)) if (sub.names.has(name)) check(name, sent);
    } else {
      const sent = new Map<string, Uint8Array>();
      const prev = sub.sent;
      for (const name of sub.names) {
        const old = prev?.get(name);
        if (old) sent.set(name, old);
        check(name, sent);
      }
      this.ctx.diffs.freeze(all);
      sub.sent = sent;
    }
    sub.basis = all;
    return frames.length ? frames : undefined;
  }
}

function sameNames(current: ReadonlySet<string>, next: readonly string[]): boolean {
  if (current.size !== next.length) return false;
  for (const n of next) if (!current.has(n)) return false;
  return true;
}

function sameContent(a: ReadonlyMap<string, Uint8Array>, b: ReadonlyMap<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bytes] of b) {
    const old = a.get(name);
    if (!old || !sameBytes(old, bytes)) return false;
  }
  return true;
}
