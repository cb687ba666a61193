/**
 * productpage's routes: the book page, sign in and out, the JSON API, health, the index page and
 * static files. Every outbound call carries the trace headers, `user-agent` and `cookie` of the
 * incoming request, and `end-user`: the signed-in user, else an incoming `end-user` header.
 */
import type { IncomingMessage } from 'node:http';
import { readBody } from '../../shared/request-body.js';
import { CONTEXT_HEADERS, TRACE_HEADERS, pickHeaders } from '../../shared/propagation.js';
import { redirect, sendBody, sendError, sendHtml, sendJson, sendText } from '../../shared/responses.js';
import { Router } from '../../shared/router.js';
import { PRODUCTS, findProduct, parseProductId } from '../common/catalog.js';
import type { Backends } from './backends.js';
import { renderIndexPage, renderProductPage } from './page.js';
import { isValidUserName, type SessionCodec } from './session.js';
import { STATIC_FILES } from './static-files.js';

/** What the routes need. */
export interface ProductPageDeps {
  readonly backends: Backends;
  readonly sessions: SessionCodec;
  /** Peers listed on the index page. */
  readonly services: readonly { name: string; url: string }[];
}

/** The user a request acts as: the signed-in user, else its `end-user` header. */
export function requestUser(req: IncomingMessage, sessions: SessionCodec): string | undefined {
  const fromSession = sessions.userFromCookies(req.headers.cookie);
  if (fromSession) return fromSession;
  const header = req.headers['end-user'];
  return typeof header === 'string' && isValidUserName(header) ? header : undefined;
}

/** Headers for outbound calls made on behalf of `req`. */
export function forwardHeaders(req: IncomingMessage, user: string | undefined): Record<string, string> {
  const headers = pickHeaders(req.headers, [...TRACE_HEADERS, ...CONTEXT_HEADERS.filter((h) => h !== 'end-user')]);
  if (user) headers['end-user'] = user;
  return headers;
}

/** Where to send the browser back to after sign-in/out: the Referer's path, else /productpage. */
function backTo(req: IncomingMessage): string {
  const referer = req.headers.referer;
  if (typeof referer === 'string') {
    try {
      const u = new URL(referer, 'http://localhost');
      const target = `${u.pathname}${u.search}`;
      if (target.startsWith('/') && !target.startsWith('//') && !/^\/(login|logout)\b/.test(target)) return target;
    } catch {
      // fall through
    }
  }
  return '/productpage';
}

async function loginUser(req: IncomingMessage, url: URL): Promise<string | undefined> {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const body = (await readBody(req, 16 * 1024)).toString('utf8');
  let name: string | null = null;
  if (type.includes('application/json')) {
    try {
      const v = JSON.parse(body) as unknown;
      if (typeof v === 'object' && v !== null && typeof (v as { username?: unknown }).username === 'string') name = (v as { username: string }).username;
    } catch {
      name = null;
    }
  } else {
    name = new URLSearchParams(body).get('username');
  }
  name ??= url.searchParams.get('username');
  const trimmed = name?.trim();
  return trimmed && isValidUserName(trimmed) ? trimmed : undefined;
}

/** Builds the router. */
export function productPageRouter(deps: ProductPageDeps): Router {
  const { backends, sessions } = deps;
  const productFrom = (segment: string | undefined) => {
    const id = parseProductId(segment ?? '');
    return id === undefined ? undefined : findProduct(id);
  };
  return new Router()
    .get(/^\/(?:index\.html)?$/, ({ res }) => sendHtml(res, 200, renderIndexPage(deps.services)))
    .get(/^\/health\/?$/, ({ res }) => sendText(res, 200, 'Product page is healthy'))
    .get(/^\/static\/(.+)$/, ({ res, params }) => {
      const file = STATIC_FILES.get(params[0] ?? '');
      if (!file) return sendError(res, 404, 'not found');
      sendBody(res, 200, file.contentType, file.body, { 'cache-control': 'public, max-age=300' });
    })
    .post(/^\/login\/?$/, async ({ req, res, url }) => {
      const user = await loginUser(req, url);
      if (!user) return sendText(res, 400, 'Sign-in needs a "username" form field of 1-64 letters, digits or ._@+-\n');
      redirect(res, 302, backTo(req), { 'set-cookie': sessions.setCookie(user) });
    })
    .get(/^\/logout\/?$/, ({ req, res }) => redirect(res, 302, backTo(req), { 'set-cookie': sessions.clearCookie() }))
    .get(/^\/productpage\/?$/, async ({ req, res }) => {
      const product = PRODUCTS[0]!;
      const user = requestUser(req, sessions);
      const headers = forwardHeaders(req, user);
      const [details, reviews] = await Promise.all([backends.details(product.id, headers), backends.reviews(product.id, headers)]);
      sendHtml(res, 200, renderProductPage({ product, user, details, reviews }));
    })
    .get(/^\/api\/v1\/products\/?$/, ({ res }) => sendJson(res, 200, PRODUCTS))
    .get(/^\/api\/v1\/products\/([^/]+)\/?$/, async ({ req, res, params }) => {
      const product = productFrom(params[0]);
      if (!product) return sendError(res, 404, 'Product not found');
      const r = await backends.details(product.id, forwardHeaders(req, requestUser(req, sessions)));
      sendJson(res, r.status, r.ok ? r.value : { error: r.error });
    })
    .get(/^\/api\/v1\/products\/([^/]+)\/reviews\/?$/, async ({ req, res, params }) => {
      const product = productFrom(params[0]);
      if (!product) return sendError(res, 404, 'Product not found');
      const r = await backends.reviews(product.id, forwardHeaders(req, requestUser(req, sessions)));
      sendJson(res, r.status, r.ok ? r.value : { error: r.error });
    })
    .get(/^\/api\/v1\/products\/([^/]+)\/ratings\/?$/, async ({ req, res, params }) => {
      const product = productFrom(params[0]);
      if (!product) return sendError(res, 404, 'Product not found');
      const r = await backends.ratings(product.id, forwardHeaders(req, requestUser(req, sessions)));
      sendJson(res, r.status, r.ok ? r.value : { error: r.error });
    });
}
