/**
 * Finishes the span of a request when its response ends, as Envoy's HCM does
 * (`HttpTracerUtility::finalizeDownstreamSpan`, Zipkin tracer): the span name is the route's
 * decorator operation (istiod writes `<host>:<port>/*` for sidecar routes, `<host>:<port><path>`
 * for VirtualService routes), else Envoy's default (`ingress`, or `egress <authority>`); the kind
 * is SERVER on inbound (ingress) listeners and CLIENT on outbound and gateway listeners (istiod
 * marks gateway listeners OUTBOUND); the tags are Envoy's standard set — `component`, `node_id`,
 * `zone`, `guid:x-request-id`, `guid:x-client-trace-id`, `http.url` (path cut to
 * `max_path_tag_length`), `http.method`, `http.protocol`, `downstream_cluster`, `user_agent`,
 * `peer.address`, `request_size`, `http.status_code`, `response_size`, `response_flags`,
 * `upstream_cluster`, `upstream_cluster.name`, `error: true` for 5xx or no response — plus the
 * connection manager's custom tags (Istio's `istio.*` tags arrive as literal custom tags). Only
 * sampled spans of a tracer with a collector are queued for export (zipkin-reporter.ts).
 */
import { entryOf } from '../access-log/entry.js';
import type { StreamInfo } from '../http/stream-info.js';
import { tracingOf } from './tracing-filter.js';
import type { CustomTagRuntime, TracingRuntime } from './tracing-config.js';
import type { ZipkinSpan } from './zipkin-span.js';

/** What the proxy says about itself in every span. */
export interface LocalNode {
  /** Envoy node id (`sidecar~ip~pod.ns~ns.svc.cluster.local`). */
  readonly nodeId: string;
  /** Locality zone ('' when unknown). */
  readonly zone: string;
  /** Zipkin `localEndpoint.serviceName`: the service cluster istiod gives the proxy, `<canonical service>.<namespace>`. */
  readonly serviceName: string;
  /** The proxy's IP. */
  readonly ip: string;
}

function header(s: StreamInfo, name: string): string | undefined {
  const v = s.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

function customTagValue(s: StreamInfo, t: CustomTagRuntime): string | undefined {
  switch (t.kind) {
    case 'literal': return t.value;
    case 'environment': {
      const v = process.env[t.name];
      return v !== undefined ? v : t.defaultValue !== '' ? t.defaultValue : undefined;
    }
    case 'header': {
      const v = header(s, t.name);
      return v !== undefined ? v : t.defaultValue !== '' ? t.defaultValue : undefined;
    }
  }
}

/** The Zipkin span of a finished stream (its tracer is `t`). */
export function buildSpan(s: StreamInfo, t: TracingRuntime, node: LocalNode, endMs: number, wireIn: number, wireOut: number): ZipkinSpan | undefined {
  const a = s.activeSpan;
  if (a === undefined) return undefined;
  const e = entryOf(s, endMs, wireIn, wireOut);
  const inbound = s.connectionManager.direction === 'inbound';
  const authority = s.authority ?? header(s, 'host') ?? '';
  const decorator = s.selectedRoute?.decorator?.operation;
  const name = decorator !== undefined && decorator !== '' ? decorator : inbound ? 'ingress' : `egress ${authority}`;
  const path = s.path.length > t.maxPathTagLength ? s.path.slice(0, t.maxPathTagLength) : s.path;
  const proto = header(s, 'x-forwarded-proto') ?? s.scheme;
  const tags: Record<string, string> = {
    component: 'proxy',
    node_id: node.nodeId,
    zone: node.zone,
    'guid:x-request-id': header(s, 'x-request-id') ?? '',
    'http.url': `${proto}://${authority}${path}`,
    'http.method': s.method,
    'downstream_cluster': header(s, 'x-envoy-downstream-service-cluster') ?? '-',
    user_agent: header(s, 'user-agent') ?? '-',
    'http.protocol': e.protocol,
    'peer.address': e.downstreamRemoteAddress ?? '-',
    request_size: String(e.bytesReceived),
    'http.status_code': String(e.responseCode),
    response_size: String(e.bytesSent),
    response_flags: e.responseFlags,
    upstream_cluster: e.upstreamCluster ?? '-',
    'upstream_cluster.name': e.upstreamCluster ?? '-',
  };
  const clientTraceId = header(s, 'x-client-trace-id');
  if (clientTraceId !== undefined) tags['guid:x-client-trace-id'] = clientTraceId;
  if (e.responseCode === 0 || (e.responseCode >= 500 && e.responseCode < 600)) tags['error'] = 'true';
  for (const ct of t.customTags) {
    const v = customTagValue(s, ct);
    if (v !== undefined) tags[ct.tag] = v;
  }
  const durationUs = Math.max(1, Math.round((endMs - s.startMs) * 1000));
  const ipv6 = node.ip.includes(':');
  return {
    traceId: a.traceId, id: a.spanId, ...(a.parentId !== undefined ? { parentId: a.parentId } : {}),
    name, kind: inbound ? 'SERVER' : 'CLIENT', timestamp: a.startUs, duration: durationUs,
    localEndpoint: { serviceName: node.serviceName, ...(ipv6 ? { ipv6: node.ip } : { ipv4: node.ip }) },
    tags,
  };
}

/** Where finished spans go: the proxy's Zipkin reporter, with what the proxy says about itself. */
export interface SpanSink {
  readonly node: LocalNode;
  readonly reporter: { report(collector: NonNullable<TracingRuntime['collector']>, span: ZipkinSpan): void };
}

/**
 * Reports the span of a finished stream when its tracer has a collector and the span is sampled.
 * OpenTelemetry tracers (no collector here) only propagate context: OTLP export is not built yet.
 */
export function recordSpan(s: StreamInfo, sink: SpanSink, endMs: number, wireIn: number, wireOut: number): void {
  const t = tracingOf(s.connectionManager);
  if (t === undefined || t.collector === undefined || s.activeSpan?.sampled !== true) return;
  const span = buildSpan(s, t, sink.node, endMs, wireIn, wireOut);
  if (span !== undefined) sink.reporter.report(t.collector, span);
}
