/**
 * Star markup for ratings. Each star is one empty `<span>` a test can count and tell apart:
 *
 *   filled: `<span class="glyphicon glyphicon-star" data-star-color="black"></span>`
 *   empty:  `<span class="glyphicon glyphicon-star-empty" data-star-color="black"></span>`
 *
 * `data-star-color` is the reviews version's colour (`black` for v2, `red` for v3). A rating of n
 * stars renders n filled then 5 − n empty spans inside `<div class="rating">`; the glyphs come
 * from the stylesheet (`::before`), so the markup stays exactly as above.
 */
import { escapeHtml } from '../../shared/responses.js';

/** Stars per rating. */
export const MAX_STARS = 5;

/** One filled star in `color`. */
export function filledStar(color: string): string {
  return `<span class="glyphicon glyphicon-star" data-star-color="${escapeHtml(color)}"></span>`;
}

/** One empty star in `color`. */
export function emptyStar(color: string): string {
  return `<span class="glyphicon glyphicon-star-empty" data-star-color="${escapeHtml(color)}"></span>`;
}

/** A rating of `stars` (clamped to 0–5) in `color`. */
export function renderStars(stars: number, color: string): string {
  const n = Math.max(0, Math.min(MAX_STARS, Math.round(stars)));
  const spans = [...Array.from({ length: n }, () => filledStar(color)), ...Array.from({ length: MAX_STARS - n }, () => emptyStar(color))];
  return `<div class="rating" data-stars="${n}" data-star-color="${escapeHtml(color)}">${spans.join('')}</div>`;
}
