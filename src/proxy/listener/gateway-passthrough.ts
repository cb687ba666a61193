/**
 * A gateway TCP proxy for TLS connections it does not terminate (PASSTHROUGH) and for TLS servers
 * that terminate and forward raw TCP: connect to a host the cluster's load balancer picks, write
 * what was already read (the ClientHello), then pipe bytes both ways until either side closes.
 * Connections are tracked per listener so a listener that closes can end them.
 */
import net, { type Socket } from 'node:net';
import type { TcpProxy } from '../../envoy/types.js';
import { connectTimeoutMs } from '../../envoy/connect-timeout.js';
import type { RuntimeSnapshot } from './runtime-snapshot.js';
import { pickTcpCluster } from './gateway-tls-plan.js';

const open = new Map<string, Set<Socket>>();

/**
 * Proxies `downstream` (paused, with any peeked bytes unshifted back) to the TCP proxy's cluster.
 * Returns false (and leaves the socket alone) when there is no cluster or healthy host.
 */
export function proxyTcp(downstream: Socket, tcp: TcpProxy, snapshot: RuntimeSnapshot, listenerName: string, onError: (reason: string) => void): boolean {
  const name = pickTcpCluster(tcp);
  const cluster = name !== undefined ? snapshot.clusters.get(name) : undefined;
  const host = cluster?.lb?.pick({});
  if (!cluster || !host) {
    onError(`no_healthy_upstream:${name ?? '(none)'}`);
    return false;
  }
  const upstream = net.connect({ host: host.address, port: host.port });
  upstream.setNoDelay(true);
  const timeout = connectTimeoutMs(cluster.config);
  upstream.setTimeout(timeout, () => upstream.destroy(new Error(`connect timeout to ${host.toString()}`)));
  let set = open.get(listenerName);
  if (!set) open.set(listenerName, (set = new Set()));
  const tracked = set;
  tracked.add(downstream);
  const done = (): void => {
    tracked.delete(downstream);
    downstream.destroy();
    upstream.destroy();
  };
  upstream.once('connect', () => {
    upstream.setTimeout(0);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  upstream.once('error', (err) => {
    onError(`upstream_error:${cluster.name}:${(err as NodeJS.ErrnoException).code ?? err.message}`);
    done();
  });
  downstream.once('error', done);
  upstream.once('close', done);
  downstream.once('close', done);
  return true;
}

/** Ends the TCP connections of listener `listenerName` after `graceMs` (a listener going away). */
export function closeTcpConnections(listenerName: string, graceMs = 0): void {
  const set = open.get(listenerName);
  if (!set) return;
  const end = () => {
    for (const s of set) s.destroy();
    set.clear();
  };
  if (graceMs > 0) setTimeout(end, graceMs).unref();
  else end();
}
