/**
 * The servers of the Gateways that select a gateway proxy, merged per listener port as istiod's
 * MergeGateways does: each server's port is mapped to the port the proxy actually listens on (the
 * `gatewayPortMap` option, as Istio's ingress Service maps 80→8080 and 443→8443), route names are
 * assigned (`http.<listenerPort>` shared by plain HTTP servers, `https.<port>.<portName>.<gw>.<ns>`
 * per TLS-terminating HTTPS server), and on one listener port plain-HTTP and TLS-based servers do
 * not mix: the first server (oldest Gateway first) decides, conflicting servers are dropped.
 */
import type { Server } from '../config/schema/gateway.js';
import { parseProtocol } from '../registry/protocol.js';
import type { Protocol } from '../registry/types.js';
import type { ProxyScope, SelectedGateway } from './proxy-scope.js';

/** Maps a Gateway server port to the port the gateway proxy listens on. */
export type GatewayPortMap = Readonly<Record<number, number>>;

/** One server of a selected Gateway, ready for listener and route building. */
export interface GatewayServer {
  readonly gateway: SelectedGateway;
  readonly server: Server;
  /** Index of the server in the Gateway's `servers`. */
  readonly index: number;
  /** `server.port.number`: the port routes are built for (match `port`, vhost names). */
  readonly port: number;
  /** Where the proxy listens for this server. */
  readonly listenerPort: number;
  readonly protocol: Protocol;
  /** Hosts as `namespace/host` pairs (`*` = any namespace), after istiod's sanitizing of dot and star namespaces. */
  readonly hosts: readonly { readonly namespace: string; readonly host: string }[];
  /** RDS name for HTTP and TLS-terminating HTTPS servers; undefined for TCP/TLS/passthrough servers. */
  readonly routeName?: string;
  /** HTTPS/TLS server terminating TLS (SIMPLE, MUTUAL, …). */
  readonly terminatesTls: boolean;
}

/** True for protocols a gateway serves with an HTTP connection manager. */
export function isHttpServerProtocol(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}

/** Collects the servers of the proxy's Gateways, merged per listener port (see the file comment). */
export function collectGatewayServers(scope: ProxyScope, portMap: GatewayPortMap = {}): GatewayServer[] {
  const out: GatewayServer[] = [];
  const classByPort = new Map<number, 'http' | 'tls'>();
  for (const gw of scope.gateways) {
    const ns = gw.resource.metadata.namespace;
    const servers = gw.resource.spec.servers ?? [];
    servers.forEach((server, index) => {
      const port = server.port?.number;
      if (port === undefined) return;
      const protocol = parseProtocol(server.port?.protocol) ?? 'UNKNOWN';
      const listenerPort = portMap[port] ?? port;
      const cls = isHttpServerProtocol(protocol) ? 'http' : 'tls';
      const existing = classByPort.get(listenerPort);
      if (existing && existing !== cls) return;
      classByPort.set(listenerPort, cls);
      const passthrough = server.tls?.mode === 'PASSTHROUGH' || server.tls?.mode === 'AUTO_PASSTHROUGH';
      const terminatesTls = (protocol === 'HTTPS' || protocol === 'TLS') && !!server.tls && !passthrough;
      const bind = server.bind ? `.${server.bind}` : '';
      let routeName: string | undefined;
      if (cls === 'http') routeName = `http.${listenerPort}${bind}`;
      else if (protocol === 'HTTPS' && !passthrough) routeName = `https.${port}.${server.port?.name ?? ''}.${gw.resource.metadata.name}.${ns}${bind}`;
      out.push({ gateway: gw, server, index, port, listenerPort, protocol, hosts: sanitizeHosts(server.hosts ?? [], ns), routeName, terminatesTls });
    });
  }
  return out;
}

/** istiod's sanitizeServerHostNamespace: a dot namespace is the Gateway's, a star namespace or none means any. */
function sanitizeHosts(hosts: readonly string[], gatewayNamespace: string): { namespace: string; host: string }[] {
  return hosts.map((h) => {
    const slash = h.indexOf('/');
    if (slash < 0) return { namespace: '*', host: h.toLowerCase() };
    const ns = h.slice(0, slash);
    return { namespace: ns === '.' ? gatewayNamespace : ns, host: h.slice(slash + 1).toLowerCase() };
  });
}
