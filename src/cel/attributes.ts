/**
 * The request attributes Weft's CEL evaluator resolves (Envoy's attribute vocabulary,
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes), and a check
 * that an expression only reads those: the proxy resolves them in
 * `src/proxy/access-log/access-logger.ts` (`celAttributes`), and Istio's stats filter evaluates
 * Telemetry `tagOverrides` values over the same vocabulary. An expression naming anything else
 * (`node.metadata`, `filter_state`, `upstream_peer`, …) cannot be evaluated here: callers refuse it
 * with a warning instead of reporting an empty or `unknown` label.
 */
import { CelError, compileCel } from './cel.js';

/** Top-level attribute → the fields Weft resolves under it. */
export const CEL_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  request: ['path', 'url_path', 'host', 'scheme', 'method', 'headers', 'useragent', 'id', 'protocol', 'referer', 'size', 'total_size', 'duration'],
  response: ['code', 'code_details', 'flags_string', 'grpc_status', 'headers', 'size', 'total_size'],
  connection: ['mtls', 'requested_server_name', 'uri_san_peer_certificate', 'termination_details'],
  source: ['address', 'port'],
  destination: ['address', 'port'],
  upstream: ['address', 'port', 'transport_failure_reason'],
  xds: ['cluster_name', 'route_name'],
};

const KEYWORDS = new Set(['true', 'false', 'null', 'in']);

/** Blanks out string literals so identifiers inside them are not read as attributes. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (m) => ' '.repeat(m.length));
}

/**
 * Why Weft cannot evaluate `expr` (a syntax error, or the first attribute it does not resolve), or
 * undefined when it can.
 */
export function celUnsupportedReason(expr: string): string | undefined {
  try {
    compileCel(expr);
  } catch (err) {
    if (err instanceof CelError) return `not a CEL expression Weft can evaluate: ${err.message}`;
    throw err;
  }
  const src = withoutStrings(expr);
  const re = /[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*/g;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    const before = src.slice(0, m.index).trimEnd();
    if (before.endsWith('.') || /[0-9]$/.test(before)) continue;
    const segs = m[0].split('.').map((s) => s.trim());
    if (/^\s*\(/.test(src.slice(m.index + m[0].length))) segs.pop();
    const [top, field] = segs;
    if (top === undefined || KEYWORDS.has(top)) continue;
    const fields = CEL_ATTRIBUTES[top];
    if (fields === undefined) return `attribute "${top}" is not available in Weft (it resolves ${Object.keys(CEL_ATTRIBUTES).join(', ')})`;
    if (field !== undefined && !fields.includes(field)) return `attribute "${top}.${field}" is not available in Weft (${top} has ${fields.join(', ')})`;
  }
  return undefined;
}
