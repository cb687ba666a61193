/**
 * Non-blocking pushes for the ADS server: proxies to refresh are queued (a Set, so a newer push
 * for a proxy that is still waiting coalesces with the older one: it is refreshed once, against
 * the newest resources), and the queue is worked off in time slices, yielding to the event loop
 * (setImmediate) between slices so early proxies' responses go out while later ones are still
 * being computed, and incoming requests (ACKs, new streams) keep being served. A proxy whose stream
 * is over its write high-water mark waits for `drain` before it is refreshed again.
 */

/** What the scheduler needs from a connection. */
export interface PushTarget {
  readonly isClosed: boolean;
  readonly backlogged: boolean;
  /** Recomputes and sends; returns the number of responses written. */
  refresh(): number;
  whenWritable(cb: () => void): void;
}

/** Counters of a scheduled push round, resolved once its queue is empty. */
export interface ScheduledPushResult {
  /** Proxies refreshed. */
  proxies: number;
  /** DiscoveryResponses sent. */
  responses: number;
}

/** Options of {@link PushScheduler}. */
export interface PushSchedulerOptions {
  /** Work per slice before yielding to the event loop, in ms (at least one proxy per slice); default 10. */
  readonly sliceMs?: number;
}

/** Queue of connections to refresh, drained in event-loop-friendly slices. */
export class PushScheduler<T extends PushTarget> {
  private readonly queue = new Set<T>();
  private readonly waiting = new Set<T>();
  private scheduled = false;
  private round: ScheduledPushResult = { proxies: 0, responses: 0 };
  private waiters: ((r: ScheduledPushResult) => void)[] = [];
  private readonly sliceMs: number;

  constructor(options: PushSchedulerOptions = {}) {
    this.sliceMs = options.sliceMs ?? 10;
  }

  /** Connections queued or waiting for their stream to drain. */
  get pending(): number {
    return this.queue.size + this.waiting.size;
  }

  /** True while `target` is queued or waiting for its stream to drain. */
  has(target: T): boolean {
    return this.queue.has(target) || this.waiting.has(target);
  }

  /** Queues `targets` (re-queueing one already queued does nothing); resolves when the queue is empty. */
  schedule(targets: Iterable<T>): Promise<ScheduledPushResult> {
    for (const t of targets) if (!this.waiting.has(t)) this.queue.add(t);
    const done = new Promise<ScheduledPushResult>((resolve) => this.waiters.push(resolve));
    this.kick();
    return done;
  }

  /** Forgets a connection (closed). */
  remove(target: T): void {
    this.queue.delete(target);
    this.waiting.delete(target);
    this.settle();
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    const until = performance.now() + this.sliceMs;
    for (const t of this.queue) {
      this.queue.delete(t);
      if (t.isClosed) continue;
      if (t.backlogged) {
        this.waiting.add(t);
        t.whenWritable(() => {
          if (!this.waiting.delete(t)) return;
          if (!t.isClosed) this.queue.add(t);
          this.kick();
          this.settle();
        });
        continue;
      }
      this.round.proxies++;
      this.round.responses += t.refresh();
      if (performance.now() >= until) break;
    }
    if (this.queue.size > 0) this.kick();
    this.settle();
  }

  private settle(): void {
    if (this.queue.size > 0 || this.waiting.size > 0 || this.waiters.length === 0) return;
    const result = this.round;
    const waiters = this.waiters;
    this.round = { proxies: 0, responses: 0 };
    this.waiters = [];
    for (const w of waiters) w(result);
  }
}
