/**
 * productpage's calls to details, reviews and ratings, with Istio's productpage behaviour: each
 * call has a 3 s timeout; reviews is tried twice (so a hung reviews costs about 6 s, the "bug"
 * Istio's fault-injection task relies on); a failed call becomes an error message for the page
 * and the API, with the peer's status (or 500 when there was no response). Timeouts can be
 * shortened with `DETAILS_TIMEOUT_MS`, `REVIEWS_TIMEOUT_MS` and `RATINGS_TIMEOUT_MS`.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { type MeshClient, parseJsonBody } from '../../shared/mesh-client.js';
import { asDetails, asRatingsResponse, asReviewsResponse, type RatingsResponse, type ReviewsResponse } from '../common/types.js';
import { envMillis, serviceBaseUrl } from '../common/service-url.js';

/** Page text when details failed (Istio's wording). */
export const DETAILS_UNAVAILABLE = 'Sorry, product details are currently unavailable for this book.';
/** Page text when reviews failed (Istio's wording). */
export const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
/** API text when ratings failed (Istio's wording). */
export const RATINGS_UNAVAILABLE = 'Sorry, product ratings are currently unavailable for this book.';

/** The outcome of one backend call: a value, or an error message, with the status to report. */
export type Outcome<T> = { readonly ok: true; readonly status: 200; readonly value: T } | { readonly ok: false; readonly status: number; readonly error: string };

/** Attempts per reviews call (Istio's productpage loops twice). */
export const REVIEWS_ATTEMPTS = 2;

/** productpage's peers. */
export class Backends {
  private readonly detailsUrl: string;
  private readonly reviewsUrl: string;
  private readonly ratingsUrl: string;
  private readonly detailsTimeoutMs: number;
  private readonly reviewsTimeoutMs: number;
  private readonly ratingsTimeoutMs: number;

  constructor(private readonly client: MeshClient, env: NodeJS.ProcessEnv) {
    this.detailsUrl = serviceBaseUrl('details', env);
    this.reviewsUrl = serviceBaseUrl('reviews', env);
    this.ratingsUrl = serviceBaseUrl('ratings', env);
    this.detailsTimeoutMs = envMillis(env, 'DETAILS_TIMEOUT_MS', 3_000);
    this.reviewsTimeoutMs = envMillis(env, 'REVIEWS_TIMEOUT_MS', 3_000);
    this.ratingsTimeoutMs = envMillis(env, 'RATINGS_TIMEOUT_MS', 3_000);
  }

  /** `GET details/details/{id}`. */
  async details(id: number, headers: OutgoingHttpHeaders): Promise<Outcome<Record<string, unknown>>> {
    const r = await this.call(`${this.detailsUrl}/details/${id}`, headers, this.detailsTimeoutMs);
    const value = r.status === 200 ? asDetails(r.body) : undefined;
    return value ? { ok: true, status: 200, value } : { ok: false, status: failedStatus(r.status), error: DETAILS_UNAVAILABLE };
  }

  /** `GET reviews/reviews/{id}`, tried twice. */
  async reviews(id: number, headers: OutgoingHttpHeaders): Promise<Outcome<ReviewsResponse>> {
    let last = 0;
    for (let i = 0; i < REVIEWS_ATTEMPTS; i++) {
      const r = await this.call(`${this.reviewsUrl}/reviews/${id}`, headers, this.reviewsTimeoutMs);
      const value = r.status === 200 ? asReviewsResponse(r.body) : undefined;
      if (value) return { ok: true, status: 200, value };
      last = r.status;
    }
    return { ok: false, status: failedStatus(last), error: REVIEWS_UNAVAILABLE };
  }

  /** `GET ratings/ratings/{id}`. */
  async ratings(id: number, headers: OutgoingHttpHeaders): Promise<Outcome<RatingsResponse>> {
    const r = await this.call(`${this.ratingsUrl}/ratings/${id}`, headers, this.ratingsTimeoutMs);
    const value = r.status === 200 ? asRatingsResponse(r.body) : undefined;
    return value ? { ok: true, status: 200, value } : { ok: false, status: failedStatus(r.status), error: RATINGS_UNAVAILABLE };
  }

  /** Status 0 = no response. */
  private async call(url: string, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<{ status: number; body: unknown }> {
    try {
      const res = await this.client.get(url, headers, timeoutMs);
      return { status: res.status, body: parseJsonBody(res) };
    } catch (err) {
      process.stdout.write(`call failed: ${(err as Error).message}\n`);
      return { status: 0, body: undefined };
    }
  }
}

/** The status reported for a failed call: the peer's error status, else 500 (Istio's rule). */
function failedStatus(status: number): number {
  return status >= 400 ? status : 500;
}
