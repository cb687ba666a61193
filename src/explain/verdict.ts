/**
 * The one-line answer at the top of an explanation: where the request ends up (clusters with their
 * shares, a redirect, a reply from the proxy, a block), plus what changes the outcome on the way
 * (an injected abort or delay, a denial at the destination's sidecar).
 */
import type { ExplainedDestination, ExplainedOutbound } from './types.js';

/** What the client sees for each simulator error. */
const REPLY: Readonly<Record<string, string>> = {
  'no-route': ' (proxy replies 404, response flag NR)',
  'no-virtual-host': ' (proxy replies 404, response flag NR)',
  'no-cluster': ' (proxy replies 503, response flag NC)',
  'no-listener': ' (connection refused or reset)',
  'no-filter-chain': ' (connection closed, response flag NR)',
  'no-route-config': ' (proxy replies 404, response flag NR)',
};

/** Formats a share in [0, 1] as a percentage (`50%`, `33.3%`). */
export function formatShare(share: number): string {
  const p = share * 100;
  return `${Number.isInteger(p) ? p : Number(p.toFixed(1))}%`;
}

/** The verdict line. */
export function verdictOf(outbound: ExplainedOutbound, destinations: readonly ExplainedDestination[]): string {
  switch (outbound.action) {
    case 'error':
      return `not routed: ${outbound.error?.message ?? 'no match'}${REPLY[outbound.error?.code ?? ''] ?? ''}`;
    case 'redirect':
      return `redirected by the proxy: ${outbound.redirect?.status} to ${outbound.redirect?.location}`;
    case 'direct-response':
      if (outbound.virtualHost === 'block_all') return `blocked: no service matches the host and the outbound traffic policy is REGISTRY_ONLY (proxy replies ${outbound.directResponse?.status})`;
      return `answered by the proxy itself: HTTP ${outbound.directResponse?.status}`;
    case 'route':
    case 'tcp':
      break;
  }
  const parts: string[] = [];
  if (outbound.authorization?.decision === 'DENY') return `denied at the gateway: ${outbound.authorization.detail}`;
  if (destinations.some((d) => d.cluster === 'BlackHoleCluster')) parts.push('blocked: sent to BlackHoleCluster (dropped)');
  else if (destinations.some((d) => d.cluster === 'PassthroughCluster')) parts.push('passed through to the original destination (PassthroughCluster), outside mesh routing');
  else parts.push(`${outbound.action === 'tcp' ? 'proxied (TCP) to' : 'routed to'} ${destinations.map((d) => `${d.cluster}${destinations.length > 1 ? ` (${formatShare(d.share)})` : ''}`).join(', ')}`);
  const abort = outbound.fault?.abort;
  if (abort) parts.push(`fault aborts ${abort.percent}% with ${abort.httpStatus !== undefined ? `HTTP ${abort.httpStatus}` : `gRPC ${abort.grpcStatus}`}`);
  const delay = outbound.fault?.delay;
  if (delay) parts.push(`fault delays ${delay.percent}% by ${delay.ms} ms`);
  for (const d of destinations) {
    const a = d.inbound?.authorization;
    if (a?.decision === 'DENY') parts.push(`denied at ${d.inbound?.pod} (${a.policy ? `policy ${a.policy}` : 'no ALLOW policy matched'}): 403`);
    if (d.inbound?.problem) parts.push(`at ${d.inbound.pod}: ${d.inbound.problem}`);
    if (d.endpoints.length === 0 && !d.note) parts.push(`${d.cluster} has no endpoints (503)`);
  }
  return parts.join('; ');
}
