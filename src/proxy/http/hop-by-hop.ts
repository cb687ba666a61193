/**
 * Connection-level (hop-by-hop) headers, which never cross a proxy (RFC 9110 §7.6.1; Envoy's
 * connection manager and codecs drop them: envoy/source/common/http/conn_manager_utility.cc and
 * `Http::HeaderUtility`): the fixed set, and whatever `Connection` names. Used on requests by the
 * connection manager and on HTTP/2 upstream responses. Leaf: imports nothing from the proxy.
 */

/** Connection-level headers that never cross a proxy. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'upgrade', 'te'] as const;

/** Removes hop-by-hop headers, including those named by `Connection`, from a Node header object. */
export function stripHopByHop(headers: Record<string, unknown>): void {
  const conn = headers['connection'];
  if (typeof conn === 'string' && conn !== 'keep-alive' && conn !== 'close') {
    for (const name of conn.split(',')) {
      const n = name.trim().toLowerCase();
      if (n !== '' && n !== 'host' && n !== 'content-length' && n !== 'transfer-encoding') delete headers[n];
    }
  }
  for (const h of HOP_BY_HOP) if (headers[h] !== undefined) delete headers[h];
}
