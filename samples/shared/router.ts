/**
 * A tiny router for the sample apps: routes are a method (or `*` for any) and a regular expression
 * over the URL path; capture groups become `params`. An unknown path gets 404 and a known path
 * with the wrong method 405, both as JSON errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './responses.js';

/** What a route handler receives. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The parsed request URL (path and query; the host is a placeholder). */
  readonly url: URL;
  /** Decoded capture groups of the route's pattern. */
  readonly params: readonly string[];
}

/** A route handler. */
export type RouteHandler = (ctx: RouteContext) => void | Promise<void>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: RouteHandler;
}

/** Routes requests by method and path. */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route for `method` (`*` = any method; GET routes also answer HEAD). */
  on(method: string, pattern: RegExp, handler: RouteHandler): this {
    this.routes.push({ method: method.toUpperCase(), pattern, handler });
    return this;
  }

  /** Adds a GET (and HEAD) route. */
  get(pattern: RegExp, handler: RouteHandler): this {
    return this.on('GET', pattern, handler);
  }

  /** Adds a POST route. */
  post(pattern: RegExp, handler: RouteHandler): this {
    return this.on('POST', pattern, handler);
  }

  /** Adds a route for any method. */
  any(pattern: RegExp, handler: RouteHandler): this {
    return this.on('*', pattern, handler);
  }

  /** Dispatches one request. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestUrl(req.url);
    if (!url) {
      sendError(res, 400, 'malformed request target');
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== '*' && route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
      const params = m.slice(1).map((p) => safeDecode(p ?? ''));
      await route.handler({ req, res, url, params });
      return;
    }
    if (pathMatched) sendError(res, 405, `method ${method} not allowed`);
    else sendError(res, 404, 'not found');
  }
}

/** Parses a request target (origin form, or absolute form as a proxy may forward it). */
export function parseRequestUrl(target: string | undefined): URL | undefined {
  try {
    const t = target ?? '/';
    return t.startsWith('/') ? new URL(t, 'http://localhost') : new URL(t);
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
