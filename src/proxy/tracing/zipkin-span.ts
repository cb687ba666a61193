/**
 * A finished span in Zipkin's v2 JSON model (zipkin-api `zipkin2-api.yaml`, `Span`), the body Envoy's
 * Zipkin tracer POSTs to `/api/v2/spans` with `collector_endpoint_version: HTTP_JSON`.
 */

/** Zipkin `Endpoint`. */
export interface ZipkinEndpoint {
  readonly serviceName?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly port?: number;
}

/** Zipkin v2 `Span`. */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind: 'CLIENT' | 'SERVER';
  /** Start, microseconds since the epoch. */
  readonly timestamp: number;
  /** Microseconds (at least 1). */
  readonly duration: number;
  readonly localEndpoint: ZipkinEndpoint;
  readonly tags: Readonly<Record<string, string>>;
}
