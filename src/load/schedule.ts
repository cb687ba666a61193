/**
 * When each request should start: a pure schedule shared by all connections of one run.
 *
 * - Closed loop (`qps ≤ 0`, "as fast as possible"): a free connection sends at once; its
 *   intended start is "now", so latency is plain service time.
 * - Open loop (`qps > 0`): request j has the intended start j / qps seconds after the run began,
 *   a fixed timetable independent of how fast responses come back. Whichever connection is free
 *   takes the next request, waiting until its intended start if it is early. When every
 *   connection is busy, requests fall behind the timetable and are sent as soon as a connection
 *   frees up; latency is measured from the intended start, so queueing behind a slow server
 *   shows up in the percentiles instead of being hidden (no coordinated omission, the approach
 *   of wrk2 and of fortio's `-uniform` with catch-up).
 *
 * Times are milliseconds since the start of the run.
 */

/** Options of a {@link LoadSchedule}. */
export interface ScheduleOptions {
  /** Total target rate in requests per second; 0 or negative = closed loop, as fast as possible. */
  readonly qps: number;
  /** Run length in ms; 0 or undefined = no time limit. Ignored when `totalCalls` is set. */
  readonly durationMs?: number;
  /** Exact number of requests to make; overrides `durationMs`. */
  readonly totalCalls?: number;
}

/** What a free connection should do next. */
export type ScheduleStep =
  | { readonly kind: 'send'; readonly index: number; readonly intendedMs: number }
  | { readonly kind: 'wait'; readonly untilMs: number }
  | { readonly kind: 'done' };

/** The number of requests an open-loop run at `qps` schedules in `durationMs` (those with an intended start before the end). */
export function openLoopCalls(qps: number, durationMs: number): number {
  return Math.max(0, Math.ceil((durationMs * qps) / 1000 - 1e-9));
}

/** The intended start (ms since the run began) of request `index` at `qps`. */
export function intendedStartMs(index: number, qps: number): number {
  return (index * 1000) / qps;
}

/** How `total` requests split over `connections` when each takes an equal share: fortio's "N calls each" plus a remainder. */
export function splitCalls(total: number, connections: number): { readonly each: number; readonly remainder: number } {
  const each = Math.floor(total / connections);
  return { each, remainder: total - each * connections };
}

/** A request timetable (see the module comment). */
export class LoadSchedule {
  /** True for a constant-rate (open-loop) schedule. */
  readonly open: boolean;
  /** Requests this schedule will hand out, when known in advance. */
  readonly plannedCalls: number | undefined;
  private readonly qps: number;
  private readonly durationMs: number;
  private issued = 0;
  private stopped = false;

  constructor(options: ScheduleOptions) {
    this.qps = options.qps > 0 ? options.qps : 0;
    this.open = this.qps > 0;
    const total = options.totalCalls !== undefined && options.totalCalls > 0 ? Math.floor(options.totalCalls) : undefined;
    this.durationMs = total === undefined && options.durationMs !== undefined && options.durationMs > 0 ? options.durationMs : 0;
    this.plannedCalls = total ?? (this.open && this.durationMs > 0 ? openLoopCalls(this.qps, this.durationMs) : undefined);
  }

  /** Requests handed out so far. */
  get issuedCalls(): number {
    return this.issued;
  }

  /** True once no more requests will be handed out. */
  get finished(): boolean {
    return this.stopped || (this.plannedCalls !== undefined && this.issued >= this.plannedCalls);
  }

  /** Ends the schedule early (Ctrl-C): every later {@link take} says done. */
  stop(): void {
    this.stopped = true;
  }

  /** The next step for a connection that is free at `nowMs`; a `send` step consumes one request. */
  take(nowMs: number): ScheduleStep {
    if (this.finished) return { kind: 'done' };
    if (this.open) {
      const intendedMs = intendedStartMs(this.issued, this.qps);
      if (intendedMs > nowMs) return { kind: 'wait', untilMs: intendedMs };
      return { kind: 'send', index: this.issued++, intendedMs };
    }
    if (this.durationMs > 0 && nowMs >= this.durationMs) {
      this.stopped = true;
      return { kind: 'done' };
    }
    return { kind: 'send', index: this.issued++, intendedMs: nowMs };
  }
}
