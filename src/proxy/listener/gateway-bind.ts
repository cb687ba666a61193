/**
 * Where a gateway listener accepts: a Gateway server's `bind` address (istiod puts it in the
 * listener's address, `<bind>_<port>`), else the gateway's configured host (`--gateway-host`, or
 * the proxy's own address). The wildcard address keeps the configured host: under `weft up` the
 * gateway listens on 127.0.0.1 rather than on every interface.
 */
import net from 'node:net';
import type { RuntimeSnapshot } from './runtime-snapshot.js';

/** The address to listen on for gateway listener `name`. */
export function gatewayBindHost(snapshot: RuntimeSnapshot, name: string, defaultHost: string): string {
  const address = snapshot.resources.listeners.get(name)?.address?.socketAddress?.address;
  if (address === undefined || net.isIP(address) === 0 || address === '0.0.0.0' || address === '::') return defaultHost;
  return address;
}
