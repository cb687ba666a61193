/**
 * Exponential back-off with jitter for the ADS client's reconnects, so thousands of proxies that
 * lost the control plane at the same moment do not all come back in the same millisecond.
 */

/** Back-off settings; every field has a default. */
export interface BackoffOptions {
  /** First delay; default 100 ms. */
  initialMs?: number;
  /** Upper bound of the delay; default 15 000 ms. */
  maxMs?: number;
  /** Growth per attempt; default 2. */
  multiplier?: number;
  /** Relative jitter: the delay is drawn from base × [1 − jitter, 1 + jitter]; default 0.2. */
  jitter?: number;
  /** Random source in [0, 1); default Math.random (tests pass a fixed one). */
  random?: () => number;
}

/** Delay sequence of successive failed attempts; `reset()` after a success. */
export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private base: number;

  constructor(options: BackoffOptions = {}) {
    this.initial = options.initialMs ?? 100;
    this.max = options.maxMs ?? 15_000;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    this.base = this.initial;
  }

  /** The delay before the next attempt; grows the base for the attempt after. */
  next(): number {
    const spread = this.base * this.jitter * (2 * this.random() - 1);
    const delay = Math.min(this.max, Math.max(0, Math.round(this.base + spread)));
    this.base = Math.min(this.max, this.base * this.multiplier);
    return delay;
  }

  /** Starts over from the initial delay (after a stream delivered a response). */
  reset(): void {
    this.base = this.initial;
  }
}
