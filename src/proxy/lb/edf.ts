/**
 * Earliest-deadline-first scheduler over a fixed set of items, the structure behind weighted round
 * robin and weighted least request. Each item has a deadline `now + 1/weight`; the item with the
 * earliest deadline is served next and rescheduled with a (possibly new) weight. Over time each item
 * is served in proportion to its weight, and items interleave smoothly rather than in bursts.
 *
 * Deadlines are integers (exact in a double below 2^53): `1/weight` becomes the stride
 * `round(2^20 · maxWeight / weight)`. Float reciprocals would accumulate rounding error and break
 * ties inconsistently (weights 3:1 drifting into runs of 4); integer strides repeat one exact
 * pattern forever. Share error from rounding is below 1e-6. Strides are capped at 2^46 (weight
 * ratios beyond 2^26 : 1 saturate) and the clock is rebased before it could lose precision.
 *
 * Stored as a binary min-heap in typed arrays: peek is O(1), reschedule O(log n), nothing is
 * allocated after construction. Ties on deadline go to the item scheduled first (FIFO), which makes
 * equal weights alternate exactly.
 */

/** Stride of the heaviest item. */
const UNIT = 2 ** 20;
/** Largest stride (lightest item relative to the heaviest). */
const MAX_STRIDE = 2 ** 46;
/** Rebase deadlines once the clock passes this; deadlines then stay below 2^51 + 2^46 < 2^53. */
const REBASE_AT = 2 ** 51;

/** A weighted EDF schedule of item indices 0..n-1. */
export class EdfScheduler {
  private readonly deadline: Float64Array;
  private readonly order: Float64Array;
  private readonly item: Int32Array;
  private readonly size: number;
  private readonly reference: number;
  private now = 0;
  private sequence = 0;

  /**
   * Builds the schedule; `weights[i]` (> 0) is item i's initial weight. Later weights passed to
   * {@link reschedule} should not exceed the largest initial one (they saturate at one UNIT).
   */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.size = n;
    this.deadline = new Float64Array(n);
    this.order = new Float64Array(n);
    this.item = new Int32Array(n);
    let reference = 0;
    for (let i = 0; i < n; i++) reference = Math.max(reference, weights[i]!);
    this.reference = reference;
    for (let i = 0; i < n; i++) {
      this.deadline[i] = this.stride(weights[i]!);
      this.order[i] = this.sequence++;
      this.item[i] = i;
    }
    for (let i = (n >>> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Number of items. */
  get length(): number {
    return this.size;
  }

  /** The item to serve next (not yet rescheduled); -1 when empty. */
  peek(): number {
    return this.size === 0 ? -1 : this.item[0]!;
  }

  /**
   * Marks the item returned by {@link peek} as served: advances the clock to its deadline and
   * schedules it again `1/weight` later. `weight` may differ from the last one (least request
   * recomputes it from the host's load).
   */
  reschedule(weight: number): void {
    if (this.size === 0) return;
    const now = this.deadline[0]!;
    this.now = now;
    this.deadline[0] = now + this.stride(weight);
    this.order[0] = this.sequence++;
    this.siftDown(0);
    if (now > REBASE_AT) this.rebase();
  }

  /** Convenience: peek then reschedule with the given weight; returns the served item. */
  next(weight: ArrayLike<number>): number {
    const i = this.peek();
    if (i >= 0) this.reschedule(weight[i]!);
    return i;
  }

  /** Integer time between two services of an item of this weight. */
  private stride(weight: number): number {
    const s = Math.round((UNIT * this.reference) / weight);
    if (Number.isNaN(s) || s > MAX_STRIDE) return MAX_STRIDE;
    return s < 1 ? 1 : s;
  }

  private less(a: number, b: number): boolean {
    const da = this.deadline[a]!;
    const db = this.deadline[b]!;
    return da < db || (da === db && this.order[a]! < this.order[b]!);
  }

  private siftDown(start: number): void {
    const n = this.size;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.less(r, l) ? r : l;
      if (!this.less(c, i)) return;
      this.swap(i, c);
      i = c;
    }
  }

  private swap(a: number, b: number): void {
    const d = this.deadline[a]!;
    this.deadline[a] = this.deadline[b]!;
    this.deadline[b] = d;
    const o = this.order[a]!;
    this.order[a] = this.order[b]!;
    this.order[b] = o;
    const it = this.item[a]!;
    this.item[a] = this.item[b]!;
    this.item[b] = it;
  }

  /** Shifts every deadline down by the clock; ordering is unchanged. */
  private rebase(): void {
    const now = this.now;
    for (let i = 0; i < this.size; i++) this.deadline[i] = this.deadline[i]! - now;
    this.now = 0;
  }
}
