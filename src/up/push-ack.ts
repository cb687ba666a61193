/**
 * "Every proxy has the change": after `weft up` takes an endpoint out (a pod leaving), the pod may
 * stop only once every connected proxy has ACKed an EDS response sent after the change — the
 * order Istio relies on when a terminating pod leaves the EndpointSlice before its sidecar drains.
 * Read from the control plane's per-proxy sync status (`ControlPlane.syncStatus()`, what
 * `weft proxy-status` shows): a proxy stream has the change when its EDS was sent anew since the
 * baseline (taken before the change was pushed) and it ACKed what it was sent. A proxy that holds
 * no cluster of the changed service gets no new EDS; after `settleMs` a proxy counts as soon as
 * it is not STALE (everything computed for it since the change was ACKed).
 */
import type { ProxySyncStatus } from '../xds/sync-status.js';

/** EDS version sent to each proxy stream (`<node id>#<stream id>`) before a change. */
export type SyncBaseline = ReadonlyMap<string, string | undefined>;

/** The baseline of `rows` (take it before the change is pushed). */
export function syncBaseline(rows: readonly ProxySyncStatus[]): SyncBaseline {
  return new Map(rows.map((r) => [streamKey(r), r.types.EDS?.sentVersion]));
}

/** True when every proxy stream, except those of `exclude` (node ids), has ACKed the change made after `baseline`. */
export function proxiesHaveChange(rows: readonly ProxySyncStatus[], baseline: SyncBaseline, exclude: ReadonlySet<string>, settled: boolean): boolean {
  for (const r of rows) {
    if (exclude.has(r.id)) continue;
    const eds = r.types.EDS;
    if (eds?.state === 'STALE') return false;
    const key = streamKey(r);
    // A stream opened after the change got the current state on connect.
    if (!baseline.has(key) || settled) continue;
    if (eds?.sentVersion === baseline.get(key)) return false;
  }
  return true;
}

/** Options of {@link waitForProxiesToHaveChange}. */
export interface AckWaitOptions {
  /** After this long, proxies that got no new EDS count when not STALE (default 1000 ms). */
  readonly settleMs?: number;
  /** Give up after this long (default 10 s); resolves false then. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/** Polls `status` (sync or async) until every proxy (but `exclude`) has the change; true, or false on timeout/abort. */
export async function waitForProxiesToHaveChange(
  status: () => readonly ProxySyncStatus[] | Promise<readonly ProxySyncStatus[]>, baseline: SyncBaseline, exclude: ReadonlySet<string>, opts: AckWaitOptions = {},
): Promise<boolean> {
  const started = Date.now();
  const settleMs = opts.settleMs ?? 1000;
  const deadline = started + (opts.timeoutMs ?? 10_000);
  while (!opts.signal?.aborted) {
    // While the control plane is down (status rejects) nobody can ACK: keep waiting until the deadline.
    const rows = await Promise.resolve().then(status).catch(() => undefined);
    if (rows && proxiesHaveChange(rows, baseline, exclude, Date.now() - started >= settleMs)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
  return false;
}

function streamKey(r: ProxySyncStatus): string {
  return `${r.id}#${r.streamId}`;
}
