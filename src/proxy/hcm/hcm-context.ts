/**
 * What every request of one proxy shares: the current snapshot reference (swapped atomically by
 * the xDS handler), the cluster manager, stats, the filter chain and this proxy's identity.
 * The connection manager sees the snapshot as a {@link StreamSnapshot}; the listeners above it
 * use `ProxyContext` (`listener/proxy-context.ts`), the same object with the whole snapshot.
 */
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { HttpFilter } from '../http/filter.js';
import type { ProxyStats } from '../stats/proxy-stats.js';
import type { TelemetryTarget, WorkloadInfo } from '../stats/telemetry.js';
import type { FileSinks } from '../access-log/file-sink.js';
import type { SpanSink } from '../tracing/span-recorder.js';
import type { StreamSnapshot } from './stream-snapshot.js';

/** Shared per-proxy state, `S` the snapshot type its holder sees. `snapshot` is replaced, never mutated. */
export interface HcmContext<S extends StreamSnapshot = StreamSnapshot> {
  snapshot: S;
  readonly clusterManager: ClusterManager;
  readonly stats: ProxyStats;
  readonly self: WorkloadInfo;
  /** HTTP filters, router last. */
  readonly filters: readonly HttpFilter[];
  /** Istio children for replies that never reached a cluster (NR, NC), by direction. */
  readonly noClusterOutbound: TelemetryTarget;
  readonly noClusterInbound: TelemetryTarget;
  /** Requests in flight (drain waits for 0). */
  inFlight: number;
  /** Access log files (src/proxy/access-log/file-sink.ts); absent = access logs are not written. */
  readonly accessLogFiles?: FileSinks;
  /** Where finished, sampled spans are reported (src/proxy/tracing/); absent = spans are not exported. */
  readonly spans?: SpanSink;
}
