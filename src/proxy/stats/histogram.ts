/**
 * A fixed-bucket histogram, the way Envoy and Prometheus expose them: cumulative bucket counts,
 * a sum and a count. Recording is O(log buckets) with no allocation.
 */

/** Istio's default buckets for `istio_request_duration_milliseconds`. */
export const DURATION_BUCKETS_MS: readonly number[] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** Istio's default buckets for request/response sizes (bytes). */
export const SIZE_BUCKETS_BYTES: readonly number[] = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

/** A histogram with fixed upper bounds. */
export class Histogram {
  /** counts[i] = observations ≤ bounds[i] and > bounds[i-1]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation. */
  record(value: number): void {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= b[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound (Prometheus `le` semantics), +Inf last. */
  cumulative(): number[] {
    const out: number[] = [];
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      out.push(acc);
    }
    return out;
  }

  /** Estimated quantile (0–1) by linear interpolation inside the bucket; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const target = q * this.count;
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (acc + c >= target && c > 0) {
        const lower = i === 0 ? 0 : this.bounds[i - 1]!;
        const upper = i < this.bounds.length ? this.bounds[i]! : lower;
        return lower + ((upper - lower) * (target - acc)) / c;
      }
      acc += c;
    }
    return this.bounds[this.bounds.length - 1];
  }
}
