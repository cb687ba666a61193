/**
 * Bookinfo's data: one book, as in Istio's sample (product 0, "The Comedy of Errors"), with its
 * details, its two reviews and their ratings. Each service serves its own part; ids that are not
 * in the catalog are unknown everywhere (404).
 */
import type { BookDetails, Product } from './types.js';

/** The products productpage lists. */
export const PRODUCTS: readonly Product[] = [
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of ' +
      "<b>William Shakespeare's</b> early plays. It is his shortest and one of his most farcical comedies, with a major " +
      'part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
  },
];

/** Details per product id. */
export const DETAILS: ReadonlyMap<number, BookDetails> = new Map([
  [
    0,
    {
      id: 0,
      author: 'William Shakespeare',
      year: 1595,
      type: 'paperback',
      pages: 200,
      publisher: 'PublisherA',
      language: 'English',
      'ISBN-10': '1234567890',
      'ISBN-13': '123-1234567890',
    },
  ],
]);

/** Review texts per product id, by reviewer. */
export const REVIEW_TEXTS: ReadonlyMap<number, readonly { reviewer: string; text: string }[]> = new Map([
  [
    0,
    [
      { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
      { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
    ],
  ],
]);

/** Ratings per product id, by reviewer. */
export const RATINGS: ReadonlyMap<number, Readonly<Record<string, number>>> = new Map([[0, { Reviewer1: 5, Reviewer2: 4 }]]);

/**
 * Parses a product id from a URL segment: a non-negative decimal integer, or undefined.
 */
export function parseProductId(segment: string): number | undefined {
  if (!/^\d{1,9}$/.test(segment)) return undefined;
  return Number(segment);
}

/** The product with `id`, if any. */
export function findProduct(id: number): Product | undefined {
  return PRODUCTS.find((p) => p.id === id);
}
