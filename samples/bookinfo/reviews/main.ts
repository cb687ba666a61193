/**
 * Bookinfo's reviews service, v1/v2/v3 in one program (see config.ts): `GET /reviews/{id}` answers
 * the book's reviews with the serving pod's name; v2 and v3 add each reviewer's stars from
 * `ratings` (black and red), or `{"error": "Ratings service is currently unavailable"}` when
 * ratings fails or is too slow. Trace headers, `end-user`, `user-agent`, `cookie`,
 * `authorization` and `jwt` are forwarded to ratings. `GET /health`.
 *
 * Environment: HOST, PORT (default 9080), SERVICE_VERSION, ENABLE_RATINGS, STAR_COLOR,
 * RATINGS_HOSTNAME, RATINGS_SERVICE_PORT, SERVICES_DOMAIN, RATINGS_TIMEOUT_MS, POD_NAME,
 * HTTP_PROXY, NO_PROXY.
 */
import { runMain, startHttpApp } from '../../shared/http-app.js';
import { onShutdown } from '../../shared/lifecycle.js';
import { MeshClient } from '../../shared/mesh-client.js';
import { reviewsConfig } from './config.js';
import { reviewsRouter } from './reviews.js';

runMain(async () => {
  const cfg = reviewsConfig(process.env);
  const client = MeshClient.fromEnv(process.env);
  const router = reviewsRouter(client, cfg);
  await startHttpApp({ name: `reviews-${cfg.version}`, defaultPort: 9080, handler: (req, res) => router.handle(req, res) });
  onShutdown(() => client.close());
});
