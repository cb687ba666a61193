/**
 * The request `weft explain` replays: the URL split into scheme, host, port, path and the Host
 * header a client would send (`reviews:9080` when the URL names the port, `reviews` otherwise),
 * the method upper-cased and header names lower-cased. Problems are UserErrors with stable codes.
 */
import { UserError, ExitCode } from '../util/user-error.js';
import type { ExplainedRequest } from './types.js';

/** Parses the URL, method and headers of the request to explain. */
export function parseExplainRequest(url: string, method = 'GET', headers: Readonly<Record<string, string>> = {}): ExplainedRequest {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  const authorityPart = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(withScheme)?.[1] ?? '';
  if (url.startsWith('/') || authorityPart.replace(/^[^@]*@/, '').replace(/:\d*$/, '') === '') throw noHost(url);
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new UserError('EXPLAIN_BAD_URL', `cannot parse URL ${JSON.stringify(url)}`, {
      exitCode: ExitCode.Usage,
      details: 'Give the URL as the app would call it, e.g. http://reviews:9080/reviews/0',
    });
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    throw new UserError('EXPLAIN_BAD_URL', `unsupported scheme ${scheme}: in ${url}`, { exitCode: ExitCode.Usage, details: 'Only http:// and https:// URLs can be explained.' });
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw noHost(url);
  const port = parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80;
  const hostForHeader = host.includes(':') ? `[${host}]` : host;
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return {
    method: (method || 'GET').toUpperCase(),
    url: withScheme,
    scheme,
    host,
    port,
    path: `${parsed.pathname || '/'}${parsed.search}`,
    authority: lower.host ?? (parsed.port ? `${hostForHeader}:${parsed.port}` : hostForHeader),
    headers: lower,
  };
}

function noHost(url: string): UserError {
  return new UserError('EXPLAIN_URL_NO_HOST', `URL ${JSON.stringify(url)} has no host`, {
    exitCode: ExitCode.Usage,
    details: 'The host picks the virtual host and the destination, e.g. http://reviews:9080/reviews/0',
  });
}

/** Parses `-H 'Name: value'` flags into a header map; a flag without a colon is a usage error. */
export function parseHeaderFlags(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const colon = v.indexOf(':');
    if (colon <= 0) {
      throw new UserError('EXPLAIN_BAD_HEADER', `header ${JSON.stringify(v)} is not "Name: value"`, { exitCode: ExitCode.Usage });
    }
    const name = v.slice(0, colon).trim().toLowerCase();
    const value = v.slice(colon + 1).trim();
    out[name] = out[name] !== undefined ? `${out[name]},${value}` : value;
  }
  return out;
}
