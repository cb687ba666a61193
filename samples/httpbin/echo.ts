/**
 * The request echo httpbin answers with: query args, headers (with httpbin's Title-Case names),
 * origin (the first `X-Forwarded-For` address, else the peer's), the full URL, and for
 * `/anything`-style endpoints the method and the body (`data`, `json`, `form`).
 */
import type { IncomingMessage } from 'node:http';

/** Query args: one value as a string, repeated keys as an array (httpbin's shape). */
export function argsOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

/** `x-b3-traceid` → `X-B3-Traceid`. */
export function titleCase(name: string): string {
  return name.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w)).join('-');
}

/** Request headers with Title-Case names; repeated headers joined with ",". */
export function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = titleCase(req.rawHeaders[i]!);
    const value = req.rawHeaders[i + 1]!;
    out[name] = name in out ? `${out[name]},${value}` : value;
  }
  return out;
}

/** The client address as httpbin reports it. */
export function originOf(req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || '';
}

/** The full request URL (`http://host/path?query`). */
export function fullUrl(req: IncomingMessage, url: URL): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? 'http').split(',')[0]!.trim() || 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}${url.pathname}${url.search}`;
}

/** The body fields of an echo. */
export interface BodyEcho {
  readonly data: string;
  readonly json: unknown;
  readonly form: Record<string, string | string[]>;
  readonly files: Record<string, never>;
}

/** Interprets a body by its content type. */
export function bodyEcho(contentType: string | undefined, body: Buffer): BodyEcho {
  const type = (contentType ?? '').toLowerCase();
  const text = body.toString('utf8');
  let json: unknown = null;
  let form: Record<string, string | string[]> = {};
  let data = text;
  if (type.includes('application/x-www-form-urlencoded')) {
    form = argsOf(new URL(`http://x/?${text}`));
    data = '';
  } else if (type.includes('json')) {
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = null;
    }
  }
  return { data, json, form, files: {} };
}
