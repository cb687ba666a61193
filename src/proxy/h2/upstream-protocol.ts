/**
 * Which HTTP version a cluster speaks upstream, from its
 * `typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']` as istiod
 * writes it: `explicitHttpConfig.http2ProtocolOptions` (HTTP2/GRPC ports, DestinationRule
 * `h2UpgradePolicy: UPGRADE`) → always HTTP/2; `useDownstreamProtocolConfig` (UNKNOWN ports,
 * passthrough, `useClientProtocol`) → HTTP/2 when the downstream request is HTTP/2; otherwise
 * HTTP/1.1. Read once per Cluster object (a push brings new objects).
 */
import type { Cluster, Http2ProtocolOptions, UpstreamHttpProtocolOptions } from '../../envoy/types.js';

const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A cluster's upstream protocol choice. */
export interface UpstreamProtocol {
  /** 'h1' always HTTP/1.1, 'h2' always HTTP/2, 'downstream' the downstream request's version. */
  readonly mode: 'h1' | 'h2' | 'downstream';
  /** SETTINGS-independent cap on concurrent streams per connection (0 = the peer's limit only). */
  readonly maxConcurrentStreams: number;
}

const H1: UpstreamProtocol = Object.freeze({ mode: 'h1' as const, maxConcurrentStreams: 0 });
const cache = new WeakMap<Cluster, UpstreamProtocol>();

/** The upstream protocol of `cluster` (cached per Cluster object). */
export function upstreamProtocol(cluster: Cluster): UpstreamProtocol {
  let p = cache.get(cluster);
  if (p === undefined) {
    p = compute(cluster);
    cache.set(cluster, p);
  }
  return p;
}

function compute(cluster: Cluster): UpstreamProtocol {
  const o = cluster.typedExtensionProtocolOptions?.[KEY] as UpstreamHttpProtocolOptions | undefined;
  if (o === undefined) return H1;
  if (o.explicitHttpConfig?.http2ProtocolOptions !== undefined) return h2(o.explicitHttpConfig.http2ProtocolOptions, 'h2');
  if (o.useDownstreamProtocolConfig !== undefined) return h2(o.useDownstreamProtocolConfig.http2ProtocolOptions ?? {}, 'downstream');
  return H1;
}

function h2(opts: Http2ProtocolOptions, mode: 'h2' | 'downstream' = 'h2'): UpstreamProtocol {
  return { mode, maxConcurrentStreams: opts.maxConcurrentStreams?.value ?? 0 };
}

/** True when a request on `cluster` goes upstream over HTTP/2. */
export function usesH2(cluster: Cluster, downstream: { readonly httpVersionMajor: number }): boolean {
  const p = upstreamProtocol(cluster);
  return p.mode === 'h2' || (p.mode === 'downstream' && downstream.httpVersionMajor === 2);
}
