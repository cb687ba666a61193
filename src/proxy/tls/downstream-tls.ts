/**
 * A filter chain's downstream TLS transport: the `DownstreamTlsContext` of its transport socket
 * (`envoy.transport_sockets.tls`), when the chain terminates TLS. One definition for the compiled
 * listener (listener/compiled-listener.ts), inbound and gateway TLS dispatch (listener/).
 */
import type { DownstreamTlsContext, FilterChain } from '../../envoy/types.js';
import { TypeUrl } from '../../envoy/type-url.js';

/** The DownstreamTlsContext of a chain's transport socket, if it terminates TLS. */
export function downstreamTls(chain: FilterChain): DownstreamTlsContext | undefined {
  const ts = chain.transportSocket;
  if (!ts) return undefined;
  const cfg = ts.typedConfig as ({ '@type'?: string } & DownstreamTlsContext) | undefined;
  if (ts.name !== 'envoy.transport_sockets.tls' && cfg?.['@type'] !== TypeUrl.DownstreamTlsContext) return undefined;
  return cfg ?? {};
}
