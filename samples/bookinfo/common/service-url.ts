/**
 * Where a Bookinfo app finds its peers. By default by name, as in a cluster: `http://reviews:9080`
 * (plus `.SERVICES_DOMAIN` when set), which the sidecar resolves. As Istio's apps do, each peer can
 * be pointed elsewhere with `<NAME>_HOSTNAME` and `<NAME>_SERVICE_PORT` (e.g. `REVIEWS_HOSTNAME=127.0.0.1`,
 * `REVIEWS_SERVICE_PORT=40123`), which tests use to run the apps without a mesh.
 */

/** The base URL (no trailing slash) of Bookinfo service `name` (`details`, `reviews`, `ratings`). */
export function serviceBaseUrl(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = name.toUpperCase();
  const override = env[`${key}_HOSTNAME`]?.trim();
  const domain = env.SERVICES_DOMAIN?.trim();
  const host = override || (domain ? `${name}.${domain}` : name);
  const port = env[`${key}_SERVICE_PORT`]?.trim() || '9080';
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${hostPart}:${port}`;
}

/** A positive integer number of milliseconds from `env[name]`, or `fallback`. */
export function envMillis(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
