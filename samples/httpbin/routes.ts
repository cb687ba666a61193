/**
 * httpbin's endpoints, compatible with httpbin.org for what Istio's tasks use: `/status/{codes}`,
 * `/delay/{seconds}` (at most 10), `/headers`, `/get`, `/post`, `/put`, `/patch`, `/delete`,
 * `/anything` (any method, any subpath), `/ip`, `/user-agent`, `/uuid`, and `/` a small index.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { readBody } from '../shared/request-body.js';
import { escapeHtml, sendError, sendHtml, sendJson, sendText } from '../shared/responses.js';
import { Router, type RouteContext } from '../shared/router.js';
import { argsOf, bodyEcho, fullUrl, headersOf, originOf } from './echo.js';
import { chooseStatus, parseStatusChoices } from './status.js';

/** The longest delay `/delay` honours, in seconds (httpbin's cap). */
export const MAX_DELAY_SECONDS = 10;

const ENDPOINTS: readonly (readonly [string, string])[] = [
  ['/status/{codes}', 'Returns the status code, or one chosen at random from a comma-separated list (code:weight allowed)'],
  ['/delay/{seconds}', `Answers after a delay of at most ${MAX_DELAY_SECONDS} s`],
  ['/headers', 'Returns the request headers'],
  ['/get', "Returns the GET request's data"],
  ['/post, /put, /patch, /delete', "Returns the request's data"],
  ['/anything[/…]', 'Returns anything passed in the request, for any method'],
  ['/ip', "Returns the origin IP"],
  ['/user-agent', 'Returns the user agent'],
  ['/uuid', 'Returns a UUID4'],
];

function indexPage(): string {
  const rows = ENDPOINTS.map(([p, d]) => `<li><code>${escapeHtml(p)}</code> ${escapeHtml(d)}</li>`).join('\n');
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>httpbin</title></head>\n<body><h1>httpbin</h1><p>HTTP request and response service (a Weft sample).</p>\n<ul>\n${rows}\n</ul></body></html>\n`;
}

async function anything(ctx: RouteContext, withMethod: boolean): Promise<Record<string, unknown>> {
  const { req, url } = ctx;
  const body = bodyEcho(req.headers['content-type'], await readBody(req));
  const echo: Record<string, unknown> = { args: argsOf(url), ...body, headers: headersOf(req), origin: originOf(req), url: fullUrl(req, url) };
  if (withMethod) echo.method = req.method ?? 'GET';
  return echo;
}

/** `/post`, `/put`, `/patch`, `/delete`: the request's data, without the method. */
function methodEndpoint() {
  return async (ctx: RouteContext): Promise<void> => sendJson(ctx.res, 200, await anything(ctx, false));
}

/** Resolves true after `ms`, or false as soon as the client goes away. */
function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

/** Builds the router. */
export function httpbinRouter(): Router {
  return new Router()
    .get(/^\/$/, ({ res }) => sendHtml(res, 200, indexPage()))
    .any(/^\/status\/([^/]+)\/?$/, ({ res, params }) => {
      const choices = parseStatusChoices(params[0] ?? '');
      if (!choices) return sendError(res, 400, 'Invalid status code');
      const code = chooseStatus(choices);
      if (code === 418) return sendText(res, 418, "I'm a teapot\n", { 'x-more-info': 'http://tools.ietf.org/html/rfc2324' });
      if ([301, 302, 303, 305, 307].includes(code)) {
        res.writeHead(code, { location: '/redirect/1', 'content-length': 0 });
        res.end();
        return;
      }
      const bodyless = code < 200 || code === 204 || code === 304;
      if (bodyless && code < 200) {
        // 1xx cannot be a final response in Node; answer it as httpbin behind a proxy would see it.
        return sendError(res, 400, 'Informational status codes cannot be returned as a final response');
      }
      res.writeHead(code, bodyless ? {} : { 'content-type': 'text/plain; charset=utf-8', 'content-length': 0 });
      res.end();
    })
    .any(/^\/delay\/([^/]+)\/?$/, async (ctx) => {
      const seconds = Number(ctx.params[0]);
      if (!/^\d+(\.\d+)?$/.test(ctx.params[0] ?? '') || !Number.isFinite(seconds)) return sendError(ctx.res, 400, 'Invalid delay');
      const echo = await anything(ctx, false);
      const open = await waitUnlessClosed(ctx.res, Math.min(seconds, MAX_DELAY_SECONDS) * 1000);
      if (open) sendJson(ctx.res, 200, echo);
    })
    .get(/^\/headers\/?$/, ({ req, res }) => sendJson(res, 200, { headers: headersOf(req) }))
    .get(/^\/ip\/?$/, ({ req, res }) => sendJson(res, 200, { origin: originOf(req) }))
    .get(/^\/user-agent\/?$/, ({ req, res }) => sendJson(res, 200, { 'user-agent': req.headers['user-agent'] ?? null }))
    .get(/^\/uuid\/?$/, ({ res }) => sendJson(res, 200, { uuid: randomUUID() }))
    .get(/^\/get\/?$/, async (ctx) => {
      const { args, headers, origin, url } = await anything(ctx, false);
      sendJson(ctx.res, 200, { args, headers, origin, url });
    })
    .post(/^\/post\/?$/, methodEndpoint())
    .on('PUT', /^\/put\/?$/, methodEndpoint())
    .on('PATCH', /^\/patch\/?$/, methodEndpoint())
    .on('DELETE', /^\/delete\/?$/, methodEndpoint())
    .any(/^\/anything(?:\/.*)?$/, async (ctx) => sendJson(ctx.res, 200, await anything(ctx, true)));
}
