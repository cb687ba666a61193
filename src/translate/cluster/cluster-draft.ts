/**
 * A cluster under construction, istiod's clusterWrapper: the Cluster being filled in plus the
 * upstream HttpProtocolOptions that `finishCluster` packs into `typedExtensionProtocolOptions`.
 * `apply*` functions mutate a draft; nothing else does.
 */
import type { Cluster, UpstreamHttpProtocolOptions } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** Shallowly writable view of a readonly message. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The key istiod uses in `typedExtensionProtocolOptions`. */
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A cluster being built. */
export interface ClusterDraft {
  readonly cluster: Writable<Cluster>;
  httpProtocolOptions?: Writable<UpstreamHttpProtocolOptions>;
}

/** Starts a draft from the given fields. */
export function newDraft(cluster: Cluster): ClusterDraft {
  return { cluster: { ...cluster } };
}

/** The draft's HttpProtocolOptions, created empty when absent. */
export function httpOptions(draft: ClusterDraft): Writable<UpstreamHttpProtocolOptions> {
  if (!draft.httpProtocolOptions) draft.httpProtocolOptions = {};
  return draft.httpProtocolOptions;
}

/** Makes the cluster speak HTTP/2 upstream (istiod's setH2Options; it only acts when no upstream-HTTP options are set yet). */
export function setH2Options(draft: ClusterDraft): void {
  const o = httpOptions(draft);
  if (o.upstreamHttpProtocolOptions === undefined) {
    delete o.useDownstreamProtocolConfig;
    o.explicitHttpConfig = { http2ProtocolOptions: {} };
  }
}

/** Makes the cluster use the downstream's protocol (HTTP/1.1 or HTTP/2) upstream. */
export function setUseDownstreamProtocol(draft: ClusterDraft): void {
  const o = httpOptions(draft);
  delete o.explicitHttpConfig;
  o.useDownstreamProtocolConfig = { httpProtocolOptions: {}, http2ProtocolOptions: {} };
}

/** True when the draft speaks HTTP/2 explicitly upstream. */
export function isHttp2Draft(draft: ClusterDraft): boolean {
  return draft.httpProtocolOptions?.explicitHttpConfig?.http2ProtocolOptions !== undefined;
}

/**
 * Finishes a draft: packs the HttpProtocolOptions (defaulting the required upstream protocol to
 * explicit HTTP/1.1, as istiod does) and returns the Cluster.
 */
export function finishCluster(draft: ClusterDraft): Cluster {
  const c = draft.cluster;
  const o = draft.httpProtocolOptions;
  if (o) {
    const packed: Writable<UpstreamHttpProtocolOptions> = { ...o };
    if (!packed.explicitHttpConfig && !packed.useDownstreamProtocolConfig) packed.explicitHttpConfig = { httpProtocolOptions: {} };
    c.typedExtensionProtocolOptions = { [HTTP_PROTOCOL_OPTIONS_KEY]: { '@type': TypeUrl.HttpProtocolOptions, ...packed } };
  }
  return c;
}
