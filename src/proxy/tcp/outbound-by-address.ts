/**
 * An outbound TCP connection whose destination is an IP address (a CONNECT target such as
 * `10.1.2.3:5432`): its chain is chosen as Envoy chooses it on istiod's outbound listener, by
 * destination IP against each chain's `prefix_ranges` (longest prefix wins, IPv4 and IPv6; see
 * src/envoy/filter-chain-matcher.ts), so ServiceEntry CIDR and IPv6 addresses and VirtualService
 * `destinationSubnets` decide where it goes; no matching chain = the listener's default chain
 * (PassthroughCluster / BlackHoleCluster).
 */
import type { RuntimeSnapshot } from '../listener/runtime-snapshot.js';
import { selectCompiledChain } from './select-chain.js';
import { tcpRouteOfChain, type TcpRoute } from '../listener/tcp-routes.js';

/** The TCP route for `ip:port` on the port's outbound listener; undefined when the port has no TCP listener. */
export function outboundRouteForIp(snapshot: RuntimeSnapshot, port: number, ip: string): TcpRoute | undefined {
  const l = snapshot.resources.listeners.get(`0.0.0.0_${port}`);
  if (l === undefined || l.bindToPort?.value === true) return undefined;
  const chain = selectCompiledChain(l, { destinationIp: ip, destinationPort: port, transportProtocol: 'raw_buffer', sourceIp: '127.0.0.1', sourcePort: 0 });
  return tcpRouteOfChain(chain, l.name ?? `0.0.0.0_${port}`);
}
