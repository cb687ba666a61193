/**
 * Istio's protocol selection for service ports: `appProtocol` first, then the port name's prefix
 * (`http-web`, `grpc`, `tcp-db`), else unknown (protocol detection).
 */
import type { Protocol } from './types.js';

const KNOWN: Record<string, Protocol> = {
  http: 'HTTP', http2: 'HTTP2', https: 'HTTPS', grpc: 'GRPC', 'grpc-web': 'GRPC-WEB', tcp: 'TCP', tls: 'TLS',
  mongo: 'MONGO', mysql: 'MYSQL', redis: 'REDIS', udp: 'UDP', h2c: 'HTTP2',
  'kubernetes.io/h2c': 'HTTP2', 'kubernetes.io/ws': 'HTTP', 'kubernetes.io/wss': 'HTTPS',
};

/** Parses a protocol name case-insensitively (`HTTP`, `grpc`); undefined when unknown. */
export function parseProtocol(name: string | undefined): Protocol | undefined {
  if (!name) return undefined;
  return KNOWN[name.toLowerCase()];
}

/** Protocol of a Kubernetes Service port: appProtocol, then `<proto>` or `<proto>-suffix` name, else UNKNOWN; UDP as declared. */
export function protocolForPort(port: { name?: string; appProtocol?: string; protocol?: string }): Protocol {
  if (port.protocol?.toUpperCase() === 'UDP') return 'UDP';
  const fromApp = parseProtocol(port.appProtocol);
  if (fromApp) return fromApp;
  const name = port.name ?? '';
  const exact = parseProtocol(name);
  if (exact) return exact;
  const dash = name.indexOf('-');
  if (dash > 0) {
    const prefix = parseProtocol(name.slice(0, dash));
    if (prefix) return prefix;
  }
  return 'UNKNOWN';
}

/** True for protocols Weft routes with HTTP semantics (UNKNOWN is treated as HTTP, see README). */
export function isHttpProtocol(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB' || p === 'UNKNOWN';
}
