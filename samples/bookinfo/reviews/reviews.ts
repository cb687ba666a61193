/**
 * The reviews service's logic and routes: `GET /reviews/{id}` with the serving pod's name and, for
 * v2/v3, each reviewer's stars fetched from ratings (forwarding trace and user headers);
 * `GET /health`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type MeshClient, parseJsonBody } from '../../shared/mesh-client.js';
import { CONTEXT_HEADERS, TRACE_HEADERS, pickHeaders } from '../../shared/propagation.js';
import { sendError, sendJson } from '../../shared/responses.js';
import { Router } from '../../shared/router.js';
import { REVIEW_TEXTS, parseProductId } from '../common/catalog.js';
import { asRatingsResponse, type Review, type ReviewsResponse } from '../common/types.js';
import type { ReviewsConfig } from './config.js';

/** The error text a review carries when its rating could not be fetched (Istio's wording). */
export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

const FORWARDED = [...TRACE_HEADERS, ...CONTEXT_HEADERS, 'authorization', 'jwt'];

async function fetchRatings(client: MeshClient, cfg: ReviewsConfig, id: number, incoming: IncomingHttpHeaders): Promise<Readonly<Record<string, number>> | undefined> {
  try {
    const res = await client.get(`${cfg.ratingsUrl}/ratings/${id}`, pickHeaders(incoming, FORWARDED), cfg.ratingsTimeoutMs);
    if (res.status !== 200) {
      process.stdout.write(`ratings answered ${res.status} for product ${id}\n`);
      return undefined;
    }
    return asRatingsResponse(parseJsonBody(res))?.ratings;
  } catch (err) {
    process.stdout.write(`ratings call failed: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** Builds the reviews answer for product `id` (undefined when the product is unknown). */
export async function buildReviews(client: MeshClient, cfg: ReviewsConfig, id: number, incoming: IncomingHttpHeaders): Promise<ReviewsResponse | undefined> {
  const texts = REVIEW_TEXTS.get(id);
  if (!texts) return undefined;
  const ratings = cfg.ratingsEnabled ? await fetchRatings(client, cfg, id, incoming) : undefined;
  const reviews: Review[] = texts.map(({ reviewer, text }) => {
    if (!cfg.ratingsEnabled) return { reviewer, text };
    const stars = ratings?.[reviewer];
    return { reviewer, text, rating: stars === undefined ? { error: RATINGS_UNAVAILABLE } : { stars, color: cfg.starColor } };
  });
  return { id: String(id), podname: cfg.podName, ...(cfg.clusterName ? { clustername: cfg.clusterName } : {}), reviews };
}

/** The reviews routes. */
export function reviewsRouter(client: MeshClient, cfg: ReviewsConfig): Router {
  return new Router()
    .get(/^\/health\/?$/, ({ res }) => sendJson(res, 200, { status: 'Reviews is healthy', version: cfg.version }))
    .get(/^\/reviews\/([^/]*)\/?$/, async ({ req, res, params }) => {
      const id = parseProductId(params[0] ?? '');
      if (id === undefined) return sendError(res, 400, 'please provide numeric product id');
      const body = await buildReviews(client, cfg, id, req.headers);
      if (!body) return sendError(res, 404, `product ${id} not found`);
      sendJson(res, 200, body);
    });
}

