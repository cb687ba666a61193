/**
 * The downstream request body when it may be needed more than once: for retries (replayed to each
 * new attempt) and for mirrors (teed to shadow requests). It is buffered up to a limit, Envoy's
 * retry/shadow buffer limit: the route's `per_request_buffer_limit_bytes` (route, else virtual
 * host) or else the connection buffer limit, Envoy's default `per_connection_buffer_limit_bytes`
 * of 1 MiB ({@link bodyBufferLimit}). A larger body is still streamed to the current attempt, but
 * Envoy's router then "gives up on the retry/shadow" (router.cc): the request is not retried, no
 * mirror starts, mirrors already started are dropped, `cluster.<name>.retry_or_shadow_abandoned`
 * counts it, and when the overflow happens while no attempt is in flight (waiting for a retry's
 * backoff) the request is answered 507 (`exceeded request buffer limit while retrying upstream`).
 * The router never answers 413 for this: it stops buffering instead. The current attempt keeps
 * normal backpressure on the downstream socket (the body is paused while the upstream is not
 * draining, so memory per stream stays bounded by the limit plus socket buffers); mirrors never do:
 * a mirror that falls more than the limit behind is dropped. Only used for requests with a body and
 * a retry or mirror policy; others pipe the body straight to the single upstream request.
 */
import type { ClientRequest } from 'node:http';
import type { DownstreamRequest } from '../http/downstream.js';
import type { UpstreamRequest } from '../http/upstream-request.js';
import type { UInt32Value } from '../../envoy/types.js';
import type { ProxyStats } from '../stats/proxy-stats.js';
import type { Scalar } from '../stats/stats-store.js';

/** Default replay buffer limit (bytes): Envoy's default `per_connection_buffer_limit_bytes`, 1 MiB. */
export const DEFAULT_BODY_BUFFER_LIMIT = 1024 * 1024;

/**
 * The retry/shadow buffer limit of a request, as Envoy's router computes it: the route's
 * `perRequestBufferLimitBytes`, else its virtual host's, else the connection limit (default 1 MiB).
 */
export function bodyBufferLimit(
  route: { readonly perRequestBufferLimitBytes?: UInt32Value } | undefined,
  vh: { readonly perRequestBufferLimitBytes?: UInt32Value } | undefined,
  connectionLimit = DEFAULT_BODY_BUFFER_LIMIT,
): number {
  const v = route?.perRequestBufferLimitBytes?.value ?? vh?.perRequestBufferLimitBytes?.value;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : connectionLimit;
}

/** `cluster.<name>.retry_or_shadow_abandoned`: requests whose body outgrew the retry/shadow buffer. */
export function retryOrShadowAbandoned(stats: ProxyStats, cluster: string): Scalar {
  return stats.store.family<Scalar>({
    name: 'envoy_cluster_retry_or_shadow_abandoned',
    type: 'counter',
    help: 'Requests whose retries and shadows were given up because the body exceeded the buffer limit.',
    labelNames: ['cluster_name'],
    envoyName: (l) => `cluster.${l['cluster_name']}.retry_or_shadow_abandoned`,
  }).with({ cluster_name: cluster });
}

/** A buffered, teed request body. */
export class RequestBody {
  private chunks: Buffer[] = [];
  private size = 0;
  /** True once the body outgrew the buffer (it can no longer be replayed). */
  overflowed = false;
  /** True once the downstream body ended. */
  ended = false;
  private target: UpstreamRequest | undefined;
  private readonly mirrors: ClientRequest[] = [];
  private paused = false;

  constructor(private readonly req: DownstreamRequest, private readonly limit = DEFAULT_BODY_BUFFER_LIMIT, private readonly onOverflow?: () => void) {
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.once('end', () => this.onEnd());
  }

  /** True when a new attempt can be sent the whole body. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** Sends the body so far to a new primary attempt and streams the rest to it. */
  attach(up: UpstreamRequest): void {
    this.detach();
    for (const c of this.chunks) up.write(c);
    if (this.ended) {
      up.end();
      return;
    }
    this.target = up;
  }

  /** The attempt's request `t` drained (`onUpstreamDrain`): the downstream body flows again. */
  onTargetDrain(t: UpstreamRequest | undefined): void {
    if (this.target === t && this.paused) {
      this.paused = false;
      this.req.resume();
    }
  }

  /** Stops feeding the current attempt (it was abandoned). */
  detach(): void {
    this.target = undefined;
    if (this.paused) {
      this.paused = false;
      this.req.resume();
    }
  }

  /** Tees the body (so far and from now on) to a mirror request; returns false when it cannot. */
  addMirror(m: ClientRequest): boolean {
    if (this.overflowed) return false;
    for (const c of this.chunks) m.write(c);
    if (this.ended) m.end();
    else {
      this.mirrors.push(m);
      m.once('close', () => {
        const i = this.mirrors.indexOf(m);
        if (i >= 0) this.mirrors.splice(i, 1);
      });
    }
    return true;
  }

  private onData(chunk: Buffer): void {
    if (!this.overflowed) {
      this.size += chunk.length;
      if (this.size > this.limit) {
        this.overflowed = true;
        this.chunks = [];
        // Envoy clears its active shadow policies: mirrors already started are dropped too.
        for (const m of this.mirrors.splice(0)) m.destroy();
        this.onOverflow?.();
      } else this.chunks.push(chunk);
    }
    const t = this.target;
    if (t !== undefined && !t.destroyed && !t.write(chunk) && !this.paused) {
      this.paused = true;
      this.req.pause();
    }
    for (let i = this.mirrors.length - 1; i >= 0; i--) {
      const m = this.mirrors[i]!;
      if (m.writableLength > this.limit) {
        this.mirrors.splice(i, 1);
        m.destroy();
      } else m.write(chunk);
    }
  }

  private onEnd(): void {
    this.ended = true;
    const t = this.target;
    this.target = undefined;
    if (t !== undefined && !t.destroyed) t.end();
    for (const m of this.mirrors.splice(0)) m.end();
  }
}
