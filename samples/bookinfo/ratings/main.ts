/**
 * Bookinfo's ratings service (v1): `GET /ratings/{id}` answers `{"id": 0, "ratings": {"Reviewer1": 5,
 * "Reviewer2": 4}}`; `POST /ratings/{id}` replaces a product's ratings in memory (as Istio's v1
 * does); `GET /health`. A non-numeric id is 400, an unknown one 404.
 *
 * Environment: HOST, PORT (default 9080), SERVICE_VERSION (reported in /health), POD_NAME.
 */
import { runMain, startHttpApp } from '../../shared/http-app.js';
import { readBody } from '../../shared/request-body.js';
import { sendError, sendJson } from '../../shared/responses.js';
import { Router } from '../../shared/router.js';
import { RATINGS, parseProductId } from '../common/catalog.js';

/** The ratings routes, over an in-memory store seeded from the catalog. */
function ratingsRouter(version: string): Router {
  const store = new Map<number, Record<string, number>>([...RATINGS].map(([id, r]) => [id, { ...r }]));
  return new Router()
    .get(/^\/health\/?$/, ({ res }) => sendJson(res, 200, { status: 'Ratings is healthy', version }))
    .get(/^\/ratings\/([^/]*)\/?$/, ({ res, params }) => {
      const id = parseProductId(params[0] ?? '');
      if (id === undefined) return sendError(res, 400, 'please provide numeric product ID');
      const ratings = store.get(id);
      if (!ratings) return sendError(res, 404, `product ${id} not found`);
      sendJson(res, 200, { id, ratings });
    })
    .post(/^\/ratings\/([^/]*)\/?$/, async ({ req, res, params }) => {
      const id = parseProductId(params[0] ?? '');
      if (id === undefined) return sendError(res, 400, 'please provide numeric product ID');
      if (!store.has(id)) return sendError(res, 404, `product ${id} not found`);
      let parsed: unknown;
      try {
        parsed = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
      } catch (err) {
        if ((err as Error).name === 'BodyTooLargeError') throw err;
        return sendError(res, 400, 'please provide valid ratings JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return sendError(res, 400, 'please provide valid ratings JSON');
      const ratings: Record<string, number> = {};
      for (const [reviewer, stars] of Object.entries(parsed)) {
        if (typeof stars !== 'number' || !Number.isInteger(stars) || stars < 0 || stars > 5) {
          return sendError(res, 400, `rating of ${reviewer} must be an integer from 0 to 5`);
        }
        ratings[reviewer] = stars;
      }
      store.set(id, ratings);
      sendJson(res, 200, { id, ratings });
    });
}

runMain(async () => {
  const router = ratingsRouter(process.env.SERVICE_VERSION ?? 'v1');
  await startHttpApp({ name: 'ratings', defaultPort: 9080, handler: (req, res) => router.handle(req, res) });
});
