/**
 * Small response helpers for the sample apps: JSON, text and HTML bodies with a correct
 * Content-Length, and the JSON error shape every app uses (`{"error": "…"}`).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': buf.length });
  res.end(res.req?.method === 'HEAD' ? undefined : buf);
}

/** Sends `value` as JSON. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers?: OutgoingHttpHeaders): void {
  send(res, status, 'application/json', JSON.stringify(value), headers);
}

/** Sends `{"error": message}` with `status`. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

/** Sends plain text. */
export function sendText(res: ServerResponse, status: number, text: string, headers?: OutgoingHttpHeaders): void {
  send(res, status, 'text/plain; charset=utf-8', text, headers);
}

/** Sends an HTML document. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers?: OutgoingHttpHeaders): void {
  send(res, status, 'text/html; charset=utf-8', html, headers);
}

/** Sends a body of any content type. */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers?: OutgoingHttpHeaders): void {
  send(res, status, contentType, body, headers);
}

/** Sends a redirect to `location` (a path on the same host). */
export function redirect(res: ServerResponse, status: 301 | 302 | 303 | 307, location: string, headers: OutgoingHttpHeaders = {}): void {
  send(res, status, 'text/plain; charset=utf-8', `Redirecting to ${location}\n`, { ...headers, location });
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
