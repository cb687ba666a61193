/**
 * The HTML of productpage: the book page (`/productpage`) with details and reviews or their error
 * messages, the serving reviews pod ("Reviews served by: reviews-v2-0"), the sign-in form or the
 * signed-in user; and the small index page (`/`). All text from peers is escaped.
 */
import { escapeHtml } from '../../shared/responses.js';
import type { Product, Review, ReviewsResponse } from '../common/types.js';
import type { Outcome } from './backends.js';
import { renderStars } from './stars.js';

/** What the book page shows. */
export interface ProductPageView {
  readonly product: Product;
  /** The signed-in user, if any. */
  readonly user?: string;
  readonly details: Outcome<Record<string, unknown>>;
  readonly reviews: Outcome<ReviewsResponse>;
}

const DETAIL_COLUMNS: readonly (readonly [string, string])[] = [
  ['Author', 'author'],
  ['Year', 'year'],
  ['ISBN-10', 'ISBN-10'],
  ['ISBN-13', 'ISBN-13'],
  ['Publisher', 'publisher'],
  ['Pages', 'pages'],
  ['Type', 'type'],
  ['Language', 'language'],
];

function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? escapeHtml(String(v)) : '';
}

function head(title: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="stylesheet" href="/static/bookinfo.css">',
    '</head>',
  ].join('\n');
}

function navbar(user: string | undefined): string {
  const right = user
    ? `<div class="user"><span class="signed-in">Signed in as <b id="user">${escapeHtml(user)}</b></span> <a href="logout" id="sign-out">Sign out</a></div>`
    : [
        '<form class="login" method="post" action="login" name="login_form">',
        '<input id="username" name="username" placeholder="Username" required autocomplete="username">',
        '<input id="password" name="passwd" type="password" placeholder="Password" autocomplete="current-password">',
        '<button type="submit" id="sign-in-button">Sign in</button>',
        '</form>',
      ].join('');
  return `<nav class="navbar"><a href="productpage" class="brand">BookInfo Sample</a>${right}</nav>`;
}

function detailsSection(details: Outcome<Record<string, unknown>>): string {
  if (!details.ok) {
    return `<section class="details" id="details"><p class="error">Error fetching product details</p><p class="error-detail">${escapeHtml(details.error)}</p></section>`;
  }
  const header = DETAIL_COLUMNS.map(([label]) => `<th>${escapeHtml(label)}</th>`).join('');
  const row = DETAIL_COLUMNS.map(([, key]) => `<td>${text(details.value[key])}</td>`).join('');
  return `<section class="details" id="details"><h4>Book Details</h4><table class="details"><thead><tr>${header}</tr></thead><tbody><tr>${row}</tr></tbody></table></section>`;
}

function reviewBlock(review: Review): string {
  let rating = '';
  if (review.rating && 'stars' in review.rating) rating = renderStars(review.rating.stars, review.rating.color);
  else if (review.rating && 'error' in review.rating) rating = `<p class="rating-error">${escapeHtml(review.rating.error)}</p>`;
  return [
    `<div class="review" data-reviewer="${escapeHtml(review.reviewer)}">`,
    `<blockquote><p>${escapeHtml(review.text)}</p></blockquote>`,
    `<div class="reviewer">— ${escapeHtml(review.reviewer)}</div>`,
    rating,
    '</div>',
  ].join('');
}

function reviewsSection(reviews: Outcome<ReviewsResponse>): string {
  if (!reviews.ok) {
    return `<section class="reviews" id="reviews"><p class="error">Error fetching product reviews</p><p class="error-detail">${escapeHtml(reviews.error)}</p></section>`;
  }
  const r = reviews.value;
  const cluster = r.clustername ? ` on cluster ${escapeHtml(r.clustername)}` : '';
  return [
    '<section class="reviews" id="reviews">',
    '<h4>Book Reviews</h4>',
    ...r.reviews.map(reviewBlock),
    `<p class="served-by">Reviews served by: ${escapeHtml(r.podname)}${cluster}</p>`,
    '</section>',
  ].join('\n');
}

/** The book page. */
export function renderProductPage(view: ProductPageView): string {
  return [
    head('Simple Bookstore App'),
    '<body>',
    navbar(view.user),
    '<main class="container">',
    `<h1 class="title">${escapeHtml(view.product.title)}</h1>`,
    // The description is trusted HTML from productpage's own catalog.
    `<p class="description">${view.product.descriptionHtml}</p>`,
    detailsSection(view.details),
    reviewsSection(view.reviews),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The index page: what Bookinfo is and where to go. */
export function renderIndexPage(services: readonly { name: string; url: string }[]): string {
  const rows = services.map((s) => `<tr><td>${escapeHtml(s.name)}</td><td><code>${escapeHtml(s.url)}</code></td></tr>`).join('');
  return [
    head('Simple Bookstore App'),
    '<body>',
    navbar(undefined),
    '<main class="container">',
    '<h1 class="title">Simple Bookstore App</h1>',
    '<p class="description">Hello! This is a simple bookstore application made of four services: productpage calls details and reviews, and reviews v2 and v3 call ratings.</p>',
    `<table class="details"><thead><tr><th>Service</th><th>Address</th></tr></thead><tbody>${rows}</tbody></table>`,
    '<p><a href="productpage">Open the book page</a> · <a href="api/v1/products">Products API</a></p>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
