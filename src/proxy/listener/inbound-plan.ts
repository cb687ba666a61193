/**
 * How each inbound port of a sidecar accepts connections, read from the `virtualInbound` listener
 * with Envoy's filter-chain matching (filter-chain-matcher.ts), once for a plaintext connection
 * (`transportProtocol: raw_buffer`) and once for a TLS one (`tls`, ALPN `istio`/`http/1.1`):
 * - a chain with an HTTP connection manager and no TLS transport socket accepts plaintext;
 * - a chain with a DownstreamTlsContext accepts TLS (and requires a client certificate when
 *   `requireClientCertificate` is set);
 * so PeerAuthentication STRICT (TLS chains only) refuses plaintext, PERMISSIVE (both) detects per
 * connection, DISABLE (plaintext only) serves plaintext. Selected at push time from the compiled
 * `virtualInbound` (compiled-listener.ts): the TLS chains' connection managers, with their
 * security filters, routes and access logs, were compiled there with every other chain.
 */
import type { DownstreamTlsContext } from '../../envoy/types.js';
import { inboundChainPorts, type CompiledListener } from './compiled-listener.js';
import type { HcmRuntime } from '../hcm/hcm-runtime.js';
import type { RuntimeSnapshot } from './runtime-snapshot.js';

export { downstreamTls } from '../tls/downstream-tls.js';

/** TLS termination of one inbound port. */
export interface InboundTlsPlan {
  readonly chainName: string;
  readonly context: DownstreamTlsContext;
  readonly hcm: HcmRuntime;
  readonly requireClientCertificate: boolean;
}

/** What one inbound port accepts. */
export interface InboundPortPlan {
  readonly port: number;
  /** Entry point for plaintext connections; undefined = plaintext refused. */
  readonly plaintext: HcmRuntime | undefined;
  /** TLS termination; undefined = TLS not offered. */
  readonly tls: InboundTlsPlan | undefined;
}

const plans = new WeakMap<RuntimeSnapshot, ReadonlyMap<number, InboundPortPlan>>();

/** The plans of every inbound port of a snapshot (selected at push time for the snapshot's pod IP). */
export function inboundPlans(snapshot: RuntimeSnapshot, podIp: string): ReadonlyMap<number, InboundPortPlan> {
  if (podIp === snapshot.compiled.podIp) return snapshot.compiled.inboundPlans;
  let p = plans.get(snapshot);
  if (!p) {
    p = compileInboundPlans(snapshot.compiled.listeners, snapshot.inboundByPort, podIp);
    plans.set(snapshot, p);
  }
  return p;
}

/**
 * The inbound port plans of a push: `virtualInbound`'s compiled chains matched for a plaintext and
 * a TLS connection on each of its destination ports; `plaintextByPort`: the snapshot's plaintext
 * HTTP entry points.
 */
export function compileInboundPlans(listeners: ReadonlyMap<string, CompiledListener>, plaintextByPort: ReadonlyMap<number, HcmRuntime>, podIp: string): ReadonlyMap<number, InboundPortPlan> {
  const out = new Map<number, InboundPortPlan>();
  const l = listeners.get('virtualInbound');
  if (!l) return out;
  const ports = inboundChainPorts(l);
  const base = { destinationIp: podIp, sourceIp: '127.0.0.1', sourcePort: 0 };
  for (const port of ports) {
    const raw = l.select({ ...base, destinationPort: port, transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'] });
    const tls = l.select({ ...base, destinationPort: port, transportProtocol: 'tls', applicationProtocols: ['istio-http/1.1', 'istio', 'http/1.1'] });
    const plainHcm = raw && !raw.transport ? (plaintextByPort.get(port) ?? raw.http) : undefined;
    const t = tls?.transport;
    const tlsHcm = t ? tls.http : undefined;
    out.set(port, {
      port,
      plaintext: plainHcm,
      tls: tls && t && tlsHcm
        ? { chainName: tls.config.name ?? '', context: t.context, hcm: tlsHcm, requireClientCertificate: t.requireClientCertificate }
        : undefined,
    });
  }
  return out;
}
