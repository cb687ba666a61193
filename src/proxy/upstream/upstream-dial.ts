/**
 * Plaintext upstream connections to a host's address: a TCP `address:port`, or an Envoy pipe
 * address (`envoy.config.core.v3.Pipe`, a Unix domain socket path), which Istio writes for a
 * Sidecar ingress listener whose `defaultEndpoint` is `unix:///path` (istiod
 * `buildInboundClustersFromSidecar`). A pipe host is held as `unix://<path>` with port 0 (the form
 * Istio's API uses), so pools, stats and outlier detection key it like any other host.
 */
import net, { type Socket } from 'node:net';
import type { Address } from '../../envoy/types.js';

/** Prefix of a pipe host's address. */
export const PIPE_ADDRESS_PREFIX = 'unix://';

/** The host address and port of an endpoint address (socket or pipe); undefined when it has neither. */
export function endpointHostAddress(a: Address | undefined): { address: string; port: number } | undefined {
  const sa = a?.socketAddress;
  if (sa?.address && sa.portValue !== undefined) return { address: sa.address, port: sa.portValue };
  const path = a?.pipe?.path;
  if (path) return { address: `${PIPE_ADDRESS_PREFIX}${path}`, port: 0 };
  return undefined;
}

/** The socket path of a pipe host's address, else undefined. */
export function pipePathOf(address: string): string | undefined {
  return address.startsWith(PIPE_ADDRESS_PREFIX) ? address.slice(PIPE_ADDRESS_PREFIX.length) : undefined;
}

/** Opens a plaintext connection to `address:port` or, for a pipe host, to its socket path. */
export function dialPlain(address: string, port: number, allowHalfOpen = false): Socket {
  const path = pipePathOf(address);
  return path !== undefined ? net.connect({ path, allowHalfOpen }) : net.connect({ host: address, port, allowHalfOpen });
}
