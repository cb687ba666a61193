/**
 * Bookinfo's productpage (v1): the book page at `/productpage` built from details and reviews,
 * sign-in (`POST /login`, form field `username`) and sign-out (`GET /logout`) kept in a signed
 * session cookie, the JSON API under `/api/v1/products`, `/health`, an index page at `/` and
 * `/static/bookinfo.css`. See routes.ts for header forwarding and backends.ts for timeouts.
 *
 * Environment: HOST, PORT (default 9080), HTTP_PROXY, NO_PROXY, POD_NAME; DETAILS_HOSTNAME,
 * DETAILS_SERVICE_PORT, REVIEWS_HOSTNAME, REVIEWS_SERVICE_PORT, RATINGS_HOSTNAME,
 * RATINGS_SERVICE_PORT, SERVICES_DOMAIN (peer addresses; default `http://NAME:9080`);
 * DETAILS_TIMEOUT_MS, REVIEWS_TIMEOUT_MS, RATINGS_TIMEOUT_MS (default 3000 each); SESSION_SECRET.
 */
import { runMain, startHttpApp } from '../../shared/http-app.js';
import { onShutdown } from '../../shared/lifecycle.js';
import { MeshClient } from '../../shared/mesh-client.js';
import { serviceBaseUrl } from '../common/service-url.js';
import { Backends } from './backends.js';
import { productPageRouter } from './routes.js';
import { DEFAULT_SESSION_SECRET, SessionCodec } from './session.js';

runMain(async () => {
  const env = process.env;
  const client = MeshClient.fromEnv(env);
  const router = productPageRouter({
    backends: new Backends(client, env),
    sessions: new SessionCodec(env.SESSION_SECRET || DEFAULT_SESSION_SECRET),
    services: ['details', 'reviews', 'ratings'].map((name) => ({ name, url: serviceBaseUrl(name, env) })),
  });
  await startHttpApp({ name: 'productpage', defaultPort: 9080, handler: (req, res) => router.handle(req, res) });
  onShutdown(() => client.close());
});
