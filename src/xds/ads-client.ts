/**
 * The ADS client of Weft's proxy. It opens one state-of-the-world ADS stream to the control
 * plane, subscribes CDS and LDS (wildcard), then by name the EDS, RDS and SDS resources those
 * reference (see ads-dependencies.ts), hands every update to `onUpdate` and ACKs or NACKs it.
 * When the stream ends or the server is away it reconnects with jittered exponential back-off,
 * keeps its last accepted resources meanwhile, and re-subscribes with the last accepted versions
 * and names.
 *
 * Per type, named (non-wildcard) responses may carry only part of the subscribed set, so the
 * client merges them over what it holds, restricted to the names it asked for; LDS and CDS
 * responses replace the whole set. A response whose content is byte-identical to what was
 * accepted (typically right after a reconnect) is ACKed without calling `onUpdate`.
 *
 * Memory: the client keeps each accepted resource as wire bytes (copied out of the response, so a
 * response buffer is not kept alive by a few of its resources) in an {@link EncodedResourceMap}.
 * Resources of the lazy types (default Cluster and ClusterLoadAssignment: thousands of them in a
 * large mesh, few in use) are decoded to check a push and then dropped, and decoded again on each
 * `get`; the other types keep their decoded objects. A resource whose bytes did not change since
 * the last accepted push is not decoded again and keeps its bytes object (and, for eager types,
 * its decoded object), so consumers can tell unchanged resources by identity.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { decodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { adsServiceDefinition, type DiscoveryRequestMessage, type DiscoveryResponseMessage } from './discovery-service.js';
import { toNodeMessage, type NodeIdentity } from './node-info.js';
import { Backoff, type BackoffOptions } from './ads-backoff.js';
import { defaultSubscriptions, rememberRefs, type AcceptedResources, type SubscriptionResolver } from './ads-dependencies.js';
import { PUSH_ORDER, WILDCARD_TYPES } from './ads-types.js';
import { sameBytes } from './ads-wire.js';
import { EncodedResourceMap, rawResourceName } from './encoded-resources.js';

/** Decides on one update: undefined accepts it (ACK); a string rejects it (NACK) with that message. */
export type UpdateHandler = (
  typeUrl: string,
  resources: ReadonlyMap<string, object>,
  version: string,
) => string | undefined | Promise<string | undefined>;

/** Options of {@link AdsClient}. */
export interface AdsClientOptions {
  /** `host:port` of the control plane's ADS endpoint. */
  target: string;
  /** Identity sent in the first request of each stream. */
  node: NodeIdentity;
  /** Receives each update of a type: the full current set of that type and its version. */
  onUpdate: UpdateHandler;
  /** Default insecure (plaintext, loopback). */
  credentials?: grpc.ChannelCredentials;
  /** Which names to request per named type; default {@link defaultSubscriptions}. */
  subscriptions?: SubscriptionResolver;
  /** Types subscribed in wildcard mode at start; default CDS and LDS. */
  wildcardTypes?: readonly string[];
  /** Reconnect back-off; default 100 ms to 15 s, ×2, ±20 % jitter. */
  backoff?: BackoffOptions;
  /** Extra @grpc/grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
  /** Types whose decoded objects are not kept (decoded on each `get`); default Cluster and ClusterLoadAssignment. */
  lazyTypes?: readonly string[];
}

/** Events of {@link AdsClient}. */
export interface AdsClientEvents {
  /** A stream delivered its first response. */
  connected: [];
  /** The stream ended or failed; a reconnect follows after `retryInMs`. */
  disconnected: [reason: string, retryInMs: number];
  /** Every response received, before it is processed (for diagnostics and tests). */
  response: [typeUrl: string, version: string, resourceCount: number];
  /** An update of `typeUrl` was accepted at `version`. */
  ack: [typeUrl: string, version: string];
  /** An update of `typeUrl` at `version` was rejected with `message`. */
  nack: [typeUrl: string, version: string, message: string];
}

interface Accepted {
  version: string;
  resources: EncodedResourceMap;
}

/** Types whose resources carry their name in field 1 (`name`; ClusterLoadAssignment's `cluster_name`). */
const NAME_IN_FIELD_1: ReadonlySet<string> = new Set([TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Secret]);

/** Default {@link AdsClientOptions.lazyTypes}. */
const DEFAULT_LAZY_TYPES: readonly string[] = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment];

interface StreamState {
  client: grpc.Client;
  call: grpc.ClientDuplexStream<DiscoveryRequestMessage, DiscoveryResponseMessage>;
  nonces: Map<string, string>;
  sentNode: boolean;
  gotResponse: boolean;
  done: boolean;
}

/** Name of a decoded resource: `name`, or `clusterName` for ClusterLoadAssignment. */
function resourceName(obj: Record<string, unknown>): string {
  const n = obj['name'] ?? obj['clusterName'];
  return typeof n === 'string' ? n : '';
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** HTTP/2 flow-control window of the ADS connection (bytes), Envoy's default for xDS streams. */
export const ADS_FLOW_CONTROL_WINDOW = 256 * 1024 * 1024;

/** ADS client with ACK/NACK, dependent subscriptions and reconnects. Call `start()`, later `close()`. */

export class AdsClient extends EventEmitter<AdsClientEvents> {
  private readonly opts: AdsClientOptions;
  private readonly backoff: Backoff;
  private readonly accepted = new Map<string, Accepted>();
  private readonly lazyTypes: ReadonlySet<string>;
  private readonly names = new Map<string, string[]>();
  private stream: StreamState | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;

  constructor(options: AdsClientOptions) {
    super();
    this.opts = options;
    this.backoff = new Backoff(options.backoff);
    this.lazyTypes = new Set(options.lazyTypes ?? DEFAULT_LAZY_TYPES);
  }

  /** Opens the first stream (later ones open by themselves). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.connect();
  }

  /** Stops for good: cancels the stream and any pending reconnect. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const s = this.stream;
    this.stream = undefined;
    if (s) this.dropStream(s);
  }

  /** Accepted resources of one type (empty when none). */
  resources(typeUrl: string): ReadonlyMap<string, object> {
    return this.accepted.get(typeUrl)?.resources ?? new Map();
  }

  /** Last accepted version of one type, or undefined. */
  version(typeUrl: string): string | undefined {
    return this.accepted.get(typeUrl)?.version;
  }

  /** Names currently subscribed for a named type. */
  subscribedNames(typeUrl: string): readonly string[] {
    return this.names.get(typeUrl) ?? [];
  }

  /** True while a stream has delivered at least one response and has not ended. */
  get connected(): boolean {
    return !!this.stream?.gotResponse && !this.stream.done;
  }

  private connect(): void {
    if (this.closed) return;
    const client = new grpc.Client(this.opts.target, this.opts.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      // Envoy's HTTP/2 window for xDS (256 MiB): a large push arrives without one round trip to the
      // control plane per 64 KiB of it.
      'grpc-node.flow_control_window': ADS_FLOW_CONTROL_WINDOW,
      ...this.opts.channelOptions,
    });
    const m = adsServiceDefinition.StreamAggregatedResources;
    const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
    const s: StreamState = { client, call, nonces: new Map(), sentNode: false, gotResponse: false, done: false };
    this.stream = s;
    call.on('data', (res: DiscoveryResponseMessage) => {
      this.queue = this.queue.then(() => this.onResponse(s, res)).catch(() => {});
    });
    call.on('status', (st: grpc.StatusObject) => this.onStreamEnd(s, `${grpc.status[st.code] ?? st.code}: ${st.details}`));
    call.on('error', (err: Error) => this.onStreamEnd(s, err.message));
    call.on('end', () => this.onStreamEnd(s, 'stream ended'));
    for (const typeUrl of this.wildcard()) this.send(s, { typeUrl, versionInfo: this.version(typeUrl) ?? '', resourceNames: [] });
    for (const typeUrl of this.namedOrder()) {
      const names = this.names.get(typeUrl);
      if (names && names.length) this.send(s, { typeUrl, versionInfo: this.version(typeUrl) ?? '', resourceNames: names });
    }
  }

  private wildcard(): readonly string[] {
    return this.opts.wildcardTypes ?? [TypeUrl.Cluster, TypeUrl.Listener];
  }

  private namedOrder(): string[] {
    const rest = [...this.names.keys()].filter((t) => !PUSH_ORDER.includes(t));
    return [...PUSH_ORDER.filter((t) => this.names.has(t)), ...rest];
  }

  private isWildcard(typeUrl: string): boolean {
    return this.wildcard().includes(typeUrl) || (WILDCARD_TYPES.has(typeUrl) && !this.names.has(typeUrl));
  }

  private send(s: StreamState, req: DiscoveryRequestMessage): void {
    if (s.done) return;
    if (!s.sentNode) {
      req.node = toNodeMessage(this.opts.node);
      s.sentNode = true;
    }
    try {
      s.call.write(req);
    } catch {
      // the stream failed; its end handler reconnects
    }
  }

  private dropStream(s: StreamState): void {
    s.done = true;
    try {
      s.call.cancel();
    } catch {
      // already gone
    }
    s.client.close();
  }

  private onStreamEnd(s: StreamState, reason: string): void {
    if (s.done) return;
    this.dropStream(s);
    if (this.closed || this.stream !== s) return;
    this.stream = undefined;
    const delay = this.backoff.next();
    this.emit('disconnected', reason, delay);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private async onResponse(s: StreamState, res: DiscoveryResponseMessage): Promise<void> {
    try {
      await this.handleResponse(s, res);
    } finally {
      // Objects decoded for this update are no longer needed once it is handled.
      for (const a of this.accepted.values()) a.resources.release();
    }
  }

  private async handleResponse(s: StreamState, res: DiscoveryResponseMessage): Promise<void> {
    if (s.done || this.closed) return;
    if (!s.gotResponse) {
      s.gotResponse = true;
      this.backoff.reset();
      this.emit('connected');
    }
    const { typeUrl, versionInfo: version, nonce } = res;
    this.emit('response', typeUrl, version, res.resources.length);
    s.nonces.set(typeUrl, nonce);
    const wildcard = this.isWildcard(typeUrl);
    const wanted = wildcard ? undefined : new Set(this.names.get(typeUrl) ?? []);
    let next: Accepted;
    let error: string | undefined;
    try {
      next = this.merge(typeUrl, version, res, wanted);
    } catch (err) {
      next = { version, resources: new EncodedResourceMap(typeUrl, new Map(), true) };
      error = `cannot decode ${typeUrl}: ${(err as Error).message}`;
    }
    const prev = this.accepted.get(typeUrl);
    if (!error && prev && sameContent(prev.resources, next.resources)) {
      next = { version, resources: prev.resources };
    } else if (!error) {
      try {
        error = await this.opts.onUpdate(typeUrl, next.resources, version);
      } catch (err) {
        error = `update handler failed: ${(err as Error).message}`;
      }
      // If the stream dropped meanwhile, still record an accepted update (the proxy applied it);
      // send() is a no-op on a dead stream and the next stream reports this version.
      if (this.closed) return;
    }
    const resourceNames = wildcard ? [] : [...(this.names.get(typeUrl) ?? [])];
    if (error !== undefined) {
      this.send(s, { typeUrl, versionInfo: prev?.version ?? '', responseNonce: nonce, resourceNames, errorDetail: { code: grpc.status.INVALID_ARGUMENT, message: error } });
      this.emit('nack', typeUrl, version, error);
      return;
    }
    this.accepted.set(typeUrl, next);
    this.send(s, { typeUrl, versionInfo: version, responseNonce: nonce, resourceNames });
    this.resubscribe(s);
    this.emit('ack', typeUrl, version);
  }

  /**
   * The type's state after this response: replaced (wildcard) or merged by name (named types).
   * A resource byte-identical to the accepted one of its name is taken over as it is (no decode);
   * every other one is copied out of the response and decoded (a resource that does not decode
   * fails the whole response). Resources of lazy types are decoded one at a time and their objects
   * dropped at once (only what the default subscriptions need is remembered), so a response of
   * thousands never has thousands of decoded objects alive together.
   */
  private merge(typeUrl: string, version: string, res: DiscoveryResponseMessage, wanted: Set<string> | undefined): Accepted {
    const bytes = new Map<string, Uint8Array>();
    const decoded = new Map<string, object>();
    const lazy = this.lazyTypes.has(typeUrl);
    const prev = this.accepted.get(typeUrl)?.resources;
    if (wanted && prev) {
      for (const [name, b] of prev.encodedEntries()) {
        if (!wanted.has(name)) continue;
        bytes.set(name, b);
        const held = prev.held(name);
        if (held !== undefined) decoded.set(name, held);
      }
    }
    // Pass 1: names from the bytes; unchanged resources taken over, the others noted.
    const fresh = new Map<string, Uint8Array>();
    const byName = NAME_IN_FIELD_1.has(typeUrl);
    for (const entry of res.resources) {
      if (entry.typeUrl !== typeUrl) throw new Error(`resource of type ${entry.typeUrl} in a ${typeUrl} response`);
      let name = byName ? rawResourceName(entry.value) : undefined;
      if (name === undefined) {
        // Not readable by hand: decode now (throws for a malformed resource).
        const obj = decodeResource(typeUrl, entry.value);
        name = resourceName(obj);
        if (wanted && !wanted.has(name)) continue;
        bytes.set(name, entry.value);
        fresh.set(name, entry.value);
        decoded.set(name, obj);
        continue;
      }
      if (wanted && !wanted.has(name)) continue;
      const old = prev?.encoded(name);
      if (old !== undefined && sameBytes(old, entry.value)) {
        bytes.set(name, old);
        fresh.delete(name);
        const held = prev!.held(name);
        if (held !== undefined) decoded.set(name, held);
        else decoded.delete(name);
        continue;
      }
      bytes.set(name, entry.value);
      fresh.set(name, entry.value);
      decoded.delete(name);
    }
    // Pass 2: the new bytes into one buffer of their own; decode each (validates it).
    const stored = compact(fresh);
    const remember = this.opts.subscriptions === undefined;
    for (const [rawName, b] of stored) {
      const obj = (decoded.get(rawName) as Record<string, unknown> | undefined) ?? decodeResource<Record<string, unknown>>(typeUrl, b);
      const name = resourceName(obj);
      if (name !== rawName) throw new Error(`resource name "${name}" does not match its encoding ("${rawName}")`);
      bytes.set(name, b);
      if (remember) rememberRefs(typeUrl, b, obj);
      if (lazy) decoded.delete(name);
      else decoded.set(name, obj);
    }
    return { version, resources: new EncodedResourceMap(typeUrl, bytes, lazy, decoded) };
  }

  /** Re-evaluates dependent subscriptions and sends a request for every named type whose names changed. */
  private resubscribe(s: StreamState): void {
    const view: AcceptedResources = new Map([...this.accepted].map(([t, a]) => [t, a.resources]));
    const wanted = (this.opts.subscriptions ?? defaultSubscriptions)(view);
    const order = [...PUSH_ORDER.filter((t) => wanted.has(t)), ...[...wanted.keys()].filter((t) => !PUSH_ORDER.includes(t))];
    for (const typeUrl of order) {
      const names = [...new Set(wanted.get(typeUrl)!)].sort();
      const current = this.names.get(typeUrl);
      if (sameNames(current, names) || (current === undefined && names.length === 0)) continue;
      this.names.set(typeUrl, names);
      let acc = this.accepted.get(typeUrl);
      if (acc) {
        // Maps handed to onUpdate are never mutated: build pruned copies instead.
        acc = { version: acc.version, resources: acc.resources.pick(new Set(names)) };
        this.accepted.set(typeUrl, acc);
      }
      const req: DiscoveryRequestMessage = { typeUrl, versionInfo: acc?.version ?? '', resourceNames: names };
      const nonce = s.nonces.get(typeUrl);
      if (nonce) req.responseNonce = nonce;
      this.send(s, req);
    }
  }
}

function sameContent(a: EncodedResourceMap, b: EncodedResourceMap): boolean {
  if (a.size !== b.size) return false;
  for (const [name, bytes] of b.encodedEntries()) {
    const old = a.encoded(name);
    if (!old || !sameBytes(old, bytes)) return false;
  }
  return true;
}

/**
 * Copies the bytes of the `fresh` resources into one new buffer of their own (returned as name →
 * slice of it): the gRPC message they came in (megabytes for a full CDS or EDS response) is then
 * freed, instead of being kept alive by whichever of its resources are still accepted later.
 */
function compact(fresh: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let total = 0;
  for (const b of fresh.values()) total += b.length;
  if (total === 0) {
    for (const [name, b] of fresh) out.set(name, b);
    return out;
  }
  const store = Buffer.allocUnsafeSlow(total);
  let off = 0;
  for (const [name, b] of fresh) {
    store.set(b, off);
    out.set(name, store.subarray(off, off + b.length));
    off += b.length;
  }
  return out;
}
