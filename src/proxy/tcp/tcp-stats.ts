/**
 * Istio's TCP metrics for proxied connections: `istio_tcp_connections_opened_total`,
 * `istio_tcp_connections_closed_total`, `istio_tcp_sent_bytes_total` (bytes sent to the downstream,
 * Istio's "response" direction) and `istio_tcp_received_bytes_total` (bytes received from the
 * downstream), with Istio's labels: the HTTP metrics' labels of the same (reporter, source,
 * destination) target, `request_protocol="tcp"`, `response_flags`, and no `response_code` /
 * `grpc_response_status`. Children are cached per (target, flag), so a connection only increments.
 */
import type { Socket } from 'node:net';
import type { CelResolver } from '../../cel/cel.js';
import { unmapIpv4 } from '../../envoy/cidr.js';
import type { ProxyStats } from '../stats/proxy-stats.js';
import { DEFAULT_TCP_REPORTING_MS, type MetricsPolicy } from '../stats/metrics-policy.js';
import { ISTIO_LABELS } from '../stats/proxy-stats.js';
import type { Family, Scalar } from '../stats/stats-store.js';
import type { TelemetryTarget } from '../stats/telemetry.js';

/** Istio's TCP metric label names, in exposition order. */
export const ISTIO_TCP_LABELS: readonly string[] = ISTIO_LABELS.filter((l) => l !== 'response_code' && l !== 'grpc_response_status');

/** The counters of one TCP label set. */
export interface TcpChildren {
  readonly opened: Scalar;
  readonly closed: Scalar;
  readonly sent: Scalar;
  readonly received: Scalar;
}

interface Families {
  readonly opened: Family<Scalar>;
  readonly closed: Family<Scalar>;
  readonly sent: Family<Scalar>;
  readonly received: Family<Scalar>;
}

const families = new WeakMap<ProxyStats, Families>();
const children = new WeakMap<TelemetryTarget, Map<string, TcpChildren>>();

function familiesOf(stats: ProxyStats): Families {
  let f = families.get(stats);
  if (f === undefined) {
    const c = (name: string, help: string) => stats.store.family<Scalar>({ name, type: 'counter', help, labelNames: ISTIO_TCP_LABELS });
    f = {
      opened: c('istio_tcp_connections_opened_total', 'TCP connections opened, as Istio counts them.'),
      closed: c('istio_tcp_connections_closed_total', 'TCP connections closed, as Istio counts them.'),
      sent: c('istio_tcp_sent_bytes_total', 'Bytes sent to the downstream of TCP connections.'),
      received: c('istio_tcp_received_bytes_total', 'Bytes received from the downstream of TCP connections.'),
    };
    families.set(stats, f);
  }
  return f;
}

/** The TCP counters of `target` with response flags `flag` ('-' for none); created on first use. */
export function tcpChildren(stats: ProxyStats, target: TelemetryTarget, flag: string): TcpChildren {
  let byFlag = children.get(target);
  if (byFlag === undefined) children.set(target, (byFlag = new Map()));
  let c = byFlag.get(flag);
  if (c === undefined) {
    const labels: Record<string, string> = {};
    const base = target.labels;
    for (const l of ISTIO_TCP_LABELS) labels[l] = base[l] ?? '';
    labels['request_protocol'] = 'tcp';
    labels['response_flags'] = flag;
    const f = familiesOf(stats);
    c = { opened: f.opened.with(labels), closed: f.closed.with(labels), sent: f.sent.with(labels), received: f.received.with(labels) };
    byFlag.set(flag, c);
  }
  return c;
}

/** The TCP counters of one series under a metrics policy; a dropped metric is absent. */
export interface TcpSeries {
  readonly opened?: Scalar;
  readonly closed?: Scalar;
  readonly sent?: Scalar;
  readonly received?: Scalar;
}

/** The connection attributes a TCP tag expression can read (no request or response on TCP). */
export function tcpCelAttributes(downstream: Socket, upstream: Socket | undefined): CelResolver {
  const addr = (a: string | undefined, p: number | undefined) =>
    ({ celField: (f: string) => (f === 'address' ? (a !== undefined ? unmapIpv4(a) : undefined) : f === 'port' && p !== undefined ? BigInt(p) : undefined) });
  return (name) => {
    switch (name) {
      case 'source': return addr(downstream.remoteAddress, downstream.remotePort);
      case 'destination': return addr(downstream.localAddress, downstream.localPort);
      case 'upstream': return upstream !== undefined ? addr(upstream.remoteAddress, upstream.remotePort) : undefined;
      default: return undefined;
    }
  };
}

/**
 * The TCP counters of `target` with flag `flag`, under Telemetry metrics `policy` when there is one
 * (dropped metrics absent, labels removed or upserted, src/proxy/stats/metrics-policy.ts); the
 * cached {@link tcpChildren} otherwise.
 */
export function tcpSeries(stats: ProxyStats, policy: MetricsPolicy | undefined, target: TelemetryTarget, flag: string, downstream: Socket, upstream?: Socket): TcpSeries {
  if (policy === undefined) return tcpChildren(stats, target, flag);
  const standard: Record<string, string> = {};
  for (const l of ISTIO_TCP_LABELS) standard[l] = target.labels[l] ?? '';
  standard['request_protocol'] = 'tcp';
  standard['response_flags'] = flag;
  let resolver: CelResolver | undefined;
  const resolve = () => (resolver ??= tcpCelAttributes(downstream, upstream));
  const f = familiesOf(stats);
  const one = (metric: string, fam: Family<Scalar>): Scalar | undefined => {
    const s = policy.labels(metric, ISTIO_TCP_LABELS, standard, resolve);
    return s !== undefined ? fam.withNames(s.names, s.labels) : undefined;
  };
  return {
    opened: one('tcp_connections_opened_total', f.opened), closed: one('tcp_connections_closed_total', f.closed),
    sent: one('tcp_sent_bytes_total', f.sent), received: one('tcp_received_bytes_total', f.received),
  };
}

/**
 * Reports an open connection's bytes as Istio's stats filter does: the bytes moved since the last
 * report, every `tcp_reporting_duration` (default 5 s) while the connection is open and once more
 * when it closes, so a long-lived connection's counters grow before it ends.
 */
export class TcpByteReporter {
  private sent = 0;
  private received = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stats: ProxyStats,
    private readonly policy: MetricsPolicy | undefined,
    private readonly target: TelemetryTarget,
    private readonly downstream: Socket,
    private readonly upstream: Socket,
  ) {}

  /** Starts the periodic reports. */
  start(): void {
    const ms = this.policy?.tcpReportingMs ?? DEFAULT_TCP_REPORTING_MS;
    this.timer = setInterval(() => this.report('-'), ms);
    this.timer.unref();
  }

  /** Adds the bytes moved since the last report to the series of `flag`. */
  report(flag: string): TcpSeries {
    const c = tcpSeries(this.stats, this.policy, this.target, flag, this.downstream, this.upstream);
    const r = this.downstream.bytesRead;
    const w = this.downstream.bytesWritten;
    if (r > this.received) c.received?.inc(r - this.received);
    if (w > this.sent) c.sent?.inc(w - this.sent);
    this.received = r;
    this.sent = w;
    return c;
  }

  /** Stops the reports and reports the rest with the connection's final flag. */
  close(flag: string): TcpSeries {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return this.report(flag);
  }
}
