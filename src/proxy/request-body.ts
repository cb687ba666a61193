/**
 * The downstream request body when it may be needed more than once: for retries (replayed to each
 * new attempt) and for mirrors (teed to shadow requests). It is buffered up to a limit (64 KiB by
 * default); a larger body is still streamed to the current attempt, but can no longer be replayed,
 * so the request is not retried (Envoy's rule when the retry buffer overflows). The current attempt
 * keeps normal backpressure on the downstream socket; mirrors never do: a mirror that falls more
 * than the limit behind is dropped. Only used for requests with a body and a retry or mirror policy;
 * others pipe the body straight to the single upstream request.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';

/** Default replay buffer limit (bytes). */
export const DEFAULT_BODY_BUFFER_LIMIT = 64 * 1024;

/** A buffered, teed request body. */
export class RequestBody {
  private chunks: Buffer[] = [];
  private size = 0;
  /** True once the body outgrew the buffer (it can no longer be replayed). */
  overflowed = false;
  /** True once the downstream body ended. */
  ended = false;
  private target: ClientRequest | undefined;
  private readonly mirrors: ClientRequest[] = [];
  private paused = false;

  constructor(private readonly req: IncomingMessage, private readonly limit = DEFAULT_BODY_BUFFER_LIMIT) {
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.once('end', () => this.onEnd());
  }

  /** True when a new attempt can be sent the whole body. */
  get replayable(): boolean {
    return !this.overflowed;
  }

  /** Sends the body so far to a new primary attempt and streams the rest to it. */
  attach(up: ClientRequest): void {
    this.detach();
    for (const c of this.chunks) up.write(c);
    if (this.ended) {
      up.end();
      return;
    }
    this.target = up;
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
      } else this.chunks.push(chunk);
    }
    const t = this.target;
    if (t !== undefined && !t.destroyed && !t.write(chunk) && !this.paused) {
      this.paused = true;
      this.req.pause();
      t.once('drain', () => {
        if (this.target === t && this.paused) {
          this.paused = false;
          this.req.resume();
        }
      });
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
