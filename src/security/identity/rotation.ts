/**
 * When to renew a workload certificate: at a fixed fraction of its lifetime (80 % by default, as
 * Istio's `SECRET_GRACE_PERIOD_RATIO` 0.5 is conservative for 24 h certificates and Envoy-style
 * agents commonly use 80 %), never later than a safety margin before expiry, never sooner than a
 * floor that stops a tight loop; failed renewals retry with capped exponential back-off, staying
 * before expiry while there is time.
 */

/** Rotation settings. */
export interface RotationPolicy {
  /** Fraction of the lifetime after which to renew (0 < f < 1); default 0.8. */
  readonly fraction?: number;
  /** Smallest delay ever scheduled (ms); default 250. */
  readonly minDelayMs?: number;
  /** Renew at least this long before expiry when the lifetime allows (ms); default 1000. */
  readonly marginMs?: number;
}

/** Default fraction of the lifetime at which certificates are renewed. */
export const DEFAULT_ROTATION_FRACTION = 0.8;

/** Delay from `now` until the certificate valid in [notBefore, notAfter] (epoch ms) should be renewed. */
export function rotationDelayMs(notBefore: number, notAfter: number, now: number, policy: RotationPolicy = {}): number {
  const fraction = policy.fraction ?? DEFAULT_ROTATION_FRACTION;
  const minDelay = policy.minDelayMs ?? 250;
  const margin = policy.marginMs ?? 1000;
  const lifetime = Math.max(0, notAfter - notBefore);
  let at = notBefore + lifetime * fraction;
  if (lifetime > 2 * margin) at = Math.min(at, notAfter - margin);
  return Math.max(minDelay, Math.round(at - now));
}

/** Back-off after `failures` consecutive failed renewals (1 s, 2 s, 4 s … capped at 30 s), but within the remaining lifetime. */
export function renewalRetryDelayMs(failures: number, now: number, notAfter: number): number {
  const backoff = Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
  const remaining = notAfter - now;
  return remaining > 500 ? Math.max(250, Math.min(backoff, Math.floor(remaining / 2))) : backoff;
}
