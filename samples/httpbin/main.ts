/**
 * httpbin for Weft: an httpbin-compatible HTTP echo service (see routes.ts). Listens on HOST:PORT
 * (default 127.0.0.1:8080), logs one line per request, exits 0 on SIGTERM.
 */
import { runMain, startHttpApp } from '../shared/http-app.js';
import { httpbinRouter } from './routes.js';

runMain(async () => {
  const router = httpbinRouter();
  await startHttpApp({ name: 'httpbin', defaultPort: 8080, handler: (req, res) => router.handle(req, res) });
});
