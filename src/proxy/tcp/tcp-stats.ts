/**
 * Istio's TCP metrics for proxied connections: `istio_tcp_connections_opened_total`,
 * `istio_tcp_connections_closed_total`, `istio_tcp_sent_bytes_total` (bytes sent to the downstream,
 * Istio's "response" direction) and `istio_tcp_received_bytes_total` (bytes received from the
 * downstream), with Istio's labels: the HTTP metrics' labels of the same (reporter, source,
 * destination) target, `request_protocol="tcp"`, `response_flags`, and no `response_code` /
 * `grpc_response_status`. Children are cached per (target, flag), so a connection only increments.
 */
import type { ProxyStats } from '../proxy-stats.js';
import { ISTIO_LABELS } from '../proxy-stats.js';
import type { Family, Scalar } from '../stats/stats-store.js';
import type { TelemetryTarget } from '../telemetry.js';

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
