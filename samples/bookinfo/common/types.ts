/**
 * The JSON shapes Bookinfo's services exchange, with checks that turn an untrusted body into a
 * typed value (or undefined), so a malformed reply from a peer becomes an error message on the
 * page instead of a crash.
 */

/** A product as productpage lists it. */
export interface Product {
  readonly id: number;
  readonly title: string;
  /** Trusted HTML from productpage's own catalog. */
  readonly descriptionHtml: string;
}

/** `GET /details/{id}` (details). */
export interface BookDetails {
  readonly id: number;
  readonly author: string;
  readonly year: number;
  readonly type: string;
  readonly pages: number;
  readonly publisher: string;
  readonly language: string;
  readonly 'ISBN-10': string;
  readonly 'ISBN-13': string;
}

/** A review's rating: stars in a colour, or why there are none. */
export type Rating = { readonly stars: number; readonly color: string } | { readonly error: string };

/** One review. */
export interface Review {
  readonly reviewer: string;
  readonly text: string;
  readonly rating?: Rating;
}

/** `GET /reviews/{id}` (reviews). */
export interface ReviewsResponse {
  readonly id: string;
  /** The pod that served the reviews (`POD_NAME`). */
  readonly podname: string;
  readonly clustername?: string;
  readonly reviews: readonly Review[];
}

/** `GET /ratings/{id}` (ratings). */
export interface RatingsResponse {
  readonly id: number;
  readonly ratings: Readonly<Record<string, number>>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a details body: an object (fields are rendered as text, missing ones as blanks). */
export function asDetails(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

function asRating(v: unknown): Rating | undefined {
  if (!isRecord(v)) return undefined;
  if (typeof v.stars === 'number' && Number.isFinite(v.stars)) {
    const stars = Math.max(0, Math.min(5, Math.round(v.stars)));
    return { stars, color: typeof v.color === 'string' ? v.color : 'black' };
  }
  if (typeof v.error === 'string') return { error: v.error };
  return undefined;
}

/** Checks a reviews body. */
export function asReviewsResponse(v: unknown): ReviewsResponse | undefined {
  if (!isRecord(v) || !Array.isArray(v.reviews)) return undefined;
  const reviews: Review[] = [];
  for (const r of v.reviews) {
    if (!isRecord(r) || typeof r.reviewer !== 'string' || typeof r.text !== 'string') return undefined;
    const rating = asRating(r.rating);
    reviews.push(rating ? { reviewer: r.reviewer, text: r.text, rating } : { reviewer: r.reviewer, text: r.text });
  }
  return {
    id: String(v.id ?? ''),
    podname: typeof v.podname === 'string' ? v.podname : 'unknown',
    ...(typeof v.clustername === 'string' ? { clustername: v.clustername } : {}),
    reviews,
  };
}

/** Checks a ratings body. */
export function asRatingsResponse(v: unknown): RatingsResponse | undefined {
  if (!isRecord(v) || !isRecord(v.ratings)) return undefined;
  const ratings: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.ratings)) if (typeof n === 'number' && Number.isFinite(n)) ratings[k] = n;
  return { id: typeof v.id === 'number' ? v.id : Number(v.id), ratings };
}
