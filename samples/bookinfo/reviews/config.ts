/**
 * How a reviews instance behaves, from its environment, as Istio's reviews app reads it:
 * `SERVICE_VERSION` (v1, v2, v3), `ENABLE_RATINGS` (default: on for every version but v1),
 * `STAR_COLOR` (default: red for v3, black otherwise), and the ratings timeout (10 s for black
 * stars, 2.5 s otherwise, as Istio's v2 and v3; `RATINGS_TIMEOUT_MS` overrides it).
 */
import os from 'node:os';
import { envMillis, serviceBaseUrl } from '../common/service-url.js';

/** A reviews instance's settings. */
export interface ReviewsConfig {
  readonly version: string;
  readonly ratingsEnabled: boolean;
  readonly starColor: string;
  readonly ratingsTimeoutMs: number;
  /** Base URL of the ratings service. */
  readonly ratingsUrl: string;
  /** Reported as `podname`: POD_NAME, else HOSTNAME, else the host name. */
  readonly podName: string;
  readonly clusterName?: string;
}

/** Reads the settings from `env`. */
export function reviewsConfig(env: NodeJS.ProcessEnv): ReviewsConfig {
  const version = env.SERVICE_VERSION?.trim() || 'v1';
  const enabledRaw = env.ENABLE_RATINGS?.trim().toLowerCase();
  const ratingsEnabled = enabledRaw ? enabledRaw === 'true' : version !== 'v1';
  const colorRaw = env.STAR_COLOR?.trim().toLowerCase();
  const starColor = colorRaw && /^[a-z]{1,20}$/.test(colorRaw) ? colorRaw : version === 'v3' ? 'red' : 'black';
  const ratingsTimeoutMs = envMillis(env, 'RATINGS_TIMEOUT_MS', starColor === 'black' ? 10_000 : 2_500);
  const podName = env.POD_NAME?.trim() || env.HOSTNAME?.trim() || os.hostname();
  const clusterName = env.CLUSTER_NAME?.trim() || undefined;
  return { version, ratingsEnabled, starColor, ratingsTimeoutMs, ratingsUrl: serviceBaseUrl('ratings', env), podName, ...(clusterName ? { clusterName } : {}) };
}
