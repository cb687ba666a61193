/**
 * Bookinfo's details service (v1): `GET /details/{id}` answers the book's details as JSON, as
 * Istio's details app does; `GET /health`. A non-numeric id is 400, an unknown one 404.
 *
 * Environment: HOST, PORT (default 9080), POD_NAME.
 */
import { runMain, startHttpApp } from '../../shared/http-app.js';
import { sendError, sendJson } from '../../shared/responses.js';
import { Router } from '../../shared/router.js';
import { DETAILS, parseProductId } from '../common/catalog.js';

/** The details routes. */
function detailsRouter(): Router {
  return new Router()
    .get(/^\/health\/?$/, ({ res }) => sendJson(res, 200, { status: 'Details is healthy' }))
    .get(/^\/details\/([^/]*)\/?$/, ({ res, params }) => {
      const id = parseProductId(params[0] ?? '');
      if (id === undefined) return sendError(res, 400, 'please provide numeric product id');
      const details = DETAILS.get(id);
      if (!details) return sendError(res, 404, `product ${id} not found`);
      sendJson(res, 200, details);
    });
}

runMain(async () => {
  const router = detailsRouter();
  await startHttpApp({ name: 'details', defaultPort: 9080, handler: (req, res) => router.handle(req, res) });
});
