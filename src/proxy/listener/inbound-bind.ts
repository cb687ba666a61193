/**
 * Where a sidecar listens for one inbound port. Weft's proxies bind every inbound port themselves
 * (there is no iptables capture), on the pod IP, unless a Sidecar ingress listener names a `bind`
 * address: istiod then names the port's filter chains `<bind>_<port>` (listener_inbound.go
 * `inboundChainConfig.Name`) and, for listeners that bind to a port (`captureMode: NONE`), listens on
 * `<bind>:<port>`, which is what Weft does for every inbound port. The wildcard chain name
 * (`0.0.0.0_<port>`) keeps the pod IP: a pod's sidecar never takes a port on every address.
 */
import net from 'node:net';
import type { RuntimeSnapshot } from './runtime-snapshot.js';

const cache = new WeakMap<RuntimeSnapshot, ReadonlyMap<number, string>>();

/** Inbound ports whose chains name a specific bind address, with that address. */
export function inboundBindAddresses(snapshot: RuntimeSnapshot): ReadonlyMap<number, string> {
  let m = cache.get(snapshot);
  if (m) return m;
  const out = new Map<number, string>();
  for (const fc of snapshot.resources.listeners.get('virtualInbound')?.filterChains ?? []) {
    const port = fc.filterChainMatch?.destinationPort?.value;
    const name = fc.name ?? '';
    if (port === undefined) continue;
    const suffix = `_${port}`;
    const base = name.endsWith('_mtls') ? name.slice(0, -5) : name;
    if (!base.endsWith(suffix)) continue;
    const host = base.slice(0, -suffix.length);
    if (net.isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::' && !out.has(port)) out.set(port, host);
  }
  m = out;
  cache.set(snapshot, m);
  return m;
}

/** The address to listen on for inbound `port`: its Sidecar `bind`, else the pod IP. */
export function inboundBindHost(snapshot: RuntimeSnapshot, port: number, podIp: string): string {
  return inboundBindAddresses(snapshot).get(port) ?? podIp;
}
