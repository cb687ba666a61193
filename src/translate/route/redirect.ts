/**
 * Converts Istio's HTTPRedirect and HTTPDirectResponse into Envoy route actions, as istiod's
 * ApplyRedirect / ApplyDirectResponse: authority → hostRedirect, prefixRewrite → prefixRewrite (the
 * matched prefix replaced in the Location path), else uri → pathRedirect, scheme, port
 * (explicit, or the listener port for `derivePort: FROM_REQUEST_PORT`; default ports dropped), and
 * 301/302/303/307/308 (0 = 301). Other codes are unsupported and drop the route, as in istiod.
 */
import type { HTTPDirectResponse, HTTPRedirect } from '../../config/schema/virtual-service.js';
import type { DirectResponseAction, RedirectAction, RedirectResponseCode } from '../../envoy/types/route.js';

const CODES: Readonly<Record<number, RedirectResponseCode>> = {
  0: 'MOVED_PERMANENTLY', 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT',
};

/** Status code of each Envoy redirect response code. */
export const REDIRECT_STATUS: Readonly<Record<RedirectResponseCode, number>> = {
  MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
};

/**
 * Converts a redirect for a route served on `listenerPort` (`isTls` when the server terminates TLS);
 * undefined for an unsupported redirect code.
 */
export function convertRedirect(r: HTTPRedirect, listenerPort: number, isTls: boolean): RedirectAction | undefined {
  const responseCode = CODES[r.redirectCode ?? 0];
  if (!responseCode) return undefined;
  let port: number | undefined;
  if (r.port !== undefined) port = r.port;
  else if (r.derivePort === 'FROM_REQUEST_PORT') port = listenerPort;
  if (port !== undefined) {
    const scheme = r.scheme || (isTls ? 'https' : 'http');
    if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) port = undefined;
  }
  return {
    ...(r.authority ? { hostRedirect: r.authority } : {}),
    ...(r.prefixRewrite ? { prefixRewrite: r.prefixRewrite } : r.uri ? { pathRedirect: r.uri } : {}),
    ...(r.scheme ? { schemeRedirect: r.scheme } : {}),
    ...(port ? { portRedirect: port } : {}),
    responseCode,
  };
}

/** Converts a direct response (text body inline, bytes as base64). */
export function convertDirectResponse(d: HTTPDirectResponse): DirectResponseAction {
  const body = d.body?.string !== undefined ? { inlineString: d.body.string } : d.body?.bytes !== undefined ? { inlineBytes: d.body.bytes } : undefined;
  return { status: d.status, ...(body ? { body } : {}) };
}
