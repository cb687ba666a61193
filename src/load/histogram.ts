/**
 * A log-linear histogram in the style of HdrHistogram: values are non-negative integers (the load
 * runner records nanoseconds), kept exactly below `2 × 10^digits` rounded up to a power of two and,
 * above that, in buckets whose width is at most 1/half of their lower bound, so every reported
 * percentile is within about 0.05 % of the exact sample at that rank (3 significant digits).
 *
 * Layout: with S sub-buckets (a power of two ≥ 2 × 10^digits) and H = S / 2, a value v lands in
 * "bucket" b = max(0, msb(v) − log2(H)) and "sub-bucket" s = ⌊v / 2^b⌋, flat index b·H + s.
 * Bucket 0 covers [0, S) one value per slot; bucket b ≥ 1 covers [H·2^(b+1)…) in steps of 2^b.
 * The counts array grows on demand, so a histogram of sub-millisecond latencies stays small.
 *
 * Count, min, max, sum, mean and standard deviation are exact (Welford's running moments), not
 * derived from buckets, and every statistic merges across histograms (Chan's parallel formula).
 */

/** Options of a {@link Histogram}. */
export interface HistogramOptions {
  /** Significant decimal digits kept, 1–5 (default 3: ≤ 0.1 % bucket width). */
  readonly significantDigits?: number;
  /** Largest value tracked in its own bucket (default 3.6e12: one hour in nanoseconds); larger values are clamped into the last bucket for percentiles (min/max/mean stay exact). */
  readonly highestTrackableValue?: number;
}

/** One non-empty bucket: the integer values in [`from`, `to`] were recorded `count` times. */
export interface HistogramBucket {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

const TWO_32 = 4294967296;

/** Position of the highest set bit of an integer 1 ≤ v < 2^53. */
function msb(v: number): number {
  if (v < TWO_32) return 31 - Math.clz32(v);
  return 63 - Math.clz32(Math.floor(v / TWO_32));
}

/** An HdrHistogram-style log-linear histogram of non-negative integers (see the module comment). */
export class Histogram {
  /** Significant digits this histogram was built with. */
  readonly significantDigits: number;
  /** Largest value with its own bucket. */
  readonly highestTrackableValue: number;
  private readonly halfMagnitude: number;
  private readonly half: number;
  private readonly maxIndex: number;
  private counts: Float64Array;
  private n = 0;
  private mu = 0;
  private m2 = 0;
  private total = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(options: HistogramOptions = {}) {
    const digits = options.significantDigits ?? 3;
    if (!Number.isInteger(digits) || digits < 1 || digits > 5) throw new RangeError(`significantDigits must be an integer 1–5, got ${digits}`);
    const highest = options.highestTrackableValue ?? 3.6e12;
    if (!(highest >= 1 && highest < 2 ** 53)) throw new RangeError(`highestTrackableValue must be in [1, 2^53), got ${highest}`);
    this.significantDigits = digits;
    this.highestTrackableValue = Math.floor(highest);
    const subBuckets = 2 ** Math.ceil(Math.log2(2 * 10 ** digits));
    this.half = subBuckets / 2;
    this.halfMagnitude = Math.log2(this.half);
    this.maxIndex = this.indexOf(this.highestTrackableValue);
    this.counts = new Float64Array(Math.min(this.maxIndex + 1, subBuckets));
  }

  /** Number of recorded values. */
  get count(): number {
    return this.n;
  }
  /** Smallest recorded value (exact), or 0 when empty. */
  get min(): number {
    return this.n ? this.lo : 0;
  }
  /** Largest recorded value (exact), or 0 when empty. */
  get max(): number {
    return this.n ? this.hi : 0;
  }
  /** Sum of recorded values (exact up to 2^53). */
  get sum(): number {
    return this.total;
  }
  /** Arithmetic mean, or 0 when empty. */
  get mean(): number {
    return this.n ? this.mu : 0;
  }
  /** Population standard deviation, or 0 when empty. */
  get stdDev(): number {
    return this.n ? Math.sqrt(this.m2 / this.n) : 0;
  }

  /** Records `value` (floored to an integer; negative values count as 0) `count` times. */
  record(value: number, count = 1): void {
    if (!(count > 0)) return;
    const v = value > 0 ? Math.floor(value) : 0;
    const idx = Math.min(this.indexOf(Math.min(v, this.highestTrackableValue)), this.maxIndex);
    if (idx >= this.counts.length) this.grow(idx);
    this.counts[idx]! += count;
    // Welford / Chan update with a block of `count` equal values.
    const n = this.n + count;
    const delta = v - this.mu;
    this.mu += (delta * count) / n;
    this.m2 += (delta * delta * this.n * count) / n;
    this.n = n;
    this.total += v * count;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Adds every value recorded in `other` (same significant digits and range) to this histogram. */
  merge(other: Histogram): void {
    if (other.significantDigits !== this.significantDigits || other.highestTrackableValue !== this.highestTrackableValue) {
      throw new RangeError('cannot merge histograms with different significantDigits or highestTrackableValue');
    }
    if (other.n === 0) return;
    if (other.counts.length > this.counts.length) this.grow(other.counts.length - 1);
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    const n = this.n + other.n;
    const delta = other.mu - this.mu;
    this.mu += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    this.total += other.total;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
  }

  /** A new histogram with the same options and contents. */
  clone(): Histogram {
    const h = new Histogram({ significantDigits: this.significantDigits, highestTrackableValue: this.highestTrackableValue });
    h.merge(this);
    return h;
  }

  /** Forgets every recorded value. */
  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.mu = 0;
    this.m2 = 0;
    this.total = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
  }

  /**
   * The value at percentile `p` (0–100) by nearest rank: the recorded value of rank ⌈p/100 · count⌉
   * (at least 1), reported as the midpoint of its bucket clamped to [min, max]. p ≤ 0 gives min,
   * p ≥ 100 gives max, an empty histogram gives 0.
   */
  valueAtPercentile(p: number): number {
    if (this.n === 0) return 0;
    if (!(p > 0)) return this.lo;
    if (p >= 100) return this.hi;
    const rank = Math.max(1, Math.ceil((p * this.n) / 100 - 1e-9));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return this.representative(i);
    }
    return this.hi;
  }

  /** Non-empty buckets in increasing order of value. */
  *buckets(): IterableIterator<HistogramBucket> {
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c > 0) {
        const [from, to] = this.rangeOf(i);
        yield { from, to, count: c };
      }
    }
  }

  /** A value standing for bucket `i`: the midpoint of its integers, clamped to the exact min and max. */
  private representative(i: number): number {
    const [from, to] = this.rangeOf(i);
    const mid = (from + to) / 2;
    return Math.min(this.hi, Math.max(this.lo, mid));
  }

  /** Index of the bucket that holds the integer `v` (may exceed the tracked range). */
  private indexOf(v: number): number {
    if (v < 2 * this.half) return v;
    const b = msb(v) - this.halfMagnitude;
    return b * this.half + Math.floor(v / 2 ** b);
  }

  /** Integer range [from, to] of bucket `i`. */
  private rangeOf(i: number): [number, number] {
    if (i < 2 * this.half) return [i, i];
    const b = Math.floor(i / this.half) - 1;
    const sub = i - b * this.half;
    const width = 2 ** b;
    return [sub * width, (sub + 1) * width - 1];
  }

  private grow(idx: number): void {
    let len = this.counts.length;
    while (len <= idx) len *= 2;
    const next = new Float64Array(Math.min(len, this.maxIndex + 1));
    next.set(this.counts);
    this.counts = next;
  }
}
