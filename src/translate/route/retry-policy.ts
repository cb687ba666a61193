/**
 * Converts Istio's HTTPRetry into Envoy's RetryPolicy as istiod's retry.ConvertPolicy
 * (pilot/pkg/networking/core/route/retry/retry.go): absent = Istio's default (2 retries on
 * `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes` with NO retriable
 * status code, previous hosts avoided, 5 host-selection attempts). Since Istio 1.24 the default no
 * longer lists 503 (`EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY`, on by default: a 503 may come from an
 * upstream that already acted on a non-idempotent request), so a 503 answer is not retried unless a
 * VirtualService asks for it (`retryOn: "503"` or `5xx`); `attempts: 0`
 * disables retries; otherwise the default overridden field by field, with numeric `retryOn` parts
 * moved to retriableStatusCodes.
 */
import type { HTTPRetry } from '../../config/schema/virtual-service.js';
import type { RetryPolicy } from '../../envoy/types/route.js';
import { convertDuration } from './durations.js';
import { toAny, TypeUrl } from '../../envoy/type-url.js';

/** Envoy's built-in retry host predicate that prefers hosts not yet tried. */
export const PREVIOUS_HOSTS_PREDICATE = 'envoy.retry_host_predicates.previous_hosts';
/** Envoy's retry priority that moves retries to other priorities (Istio's retryRemoteLocalities). */
export const PREVIOUS_PRIORITIES = 'envoy.retry_priorities.previous_priorities';

/** Istio's default `retryOn`. */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** The previous-hosts retry predicate with its typed config, as istiod writes it. */
const PREVIOUS_HOSTS = { name: PREVIOUS_HOSTS_PREDICATE, typedConfig: toAny(TypeUrl.PreviousHostsPredicate, {}) };

/** Istio's default policy. */
function defaultPolicy(consistentHash: boolean): RetryPolicy {
  return {
    retryOn: DEFAULT_RETRY_ON,
    numRetries: { value: 2 },
    hostSelectionRetryMaxAttempts: 5,
    ...(consistentHash ? {} : { retryHostPredicate: [PREVIOUS_HOSTS] }),
  };
}

/**
 * Converts a VirtualService retry policy; undefined means "no retries". With consistent hashing the
 * previous-hosts predicate is left out, so retries stay on the hashed host (as istiod does).
 */
export function convertRetryPolicy(retries: HTTPRetry | undefined, consistentHash = false): RetryPolicy | undefined {
  const base = defaultPolicy(consistentHash);
  if (!retries) return base;
  if ((retries.attempts ?? 0) <= 0) return undefined;
  let out: { -readonly [K in keyof RetryPolicy]: RetryPolicy[K] } = { ...base, numRetries: { value: retries.attempts! } };
  if (retries.retryOn) {
    const { on, codes } = parseRetryOn(retries.retryOn);
    const retryOn = codes.length > 0 && !on.includes('retriable-status-codes') ? [...on, 'retriable-status-codes'] : on;
    out = { ...out, retryOn: retryOn.join(',') };
    if (codes.length > 0) out.retriableStatusCodes = codes;
    else delete out.retriableStatusCodes;
  }
  const perTry = convertDuration(retries.perTryTimeout);
  if (perTry) out.perTryTimeout = perTry;
  if (retries.retryIgnorePreviousHosts !== undefined) {
    if (retries.retryIgnorePreviousHosts) out.retryHostPredicate = [{ name: PREVIOUS_HOSTS_PREDICATE }];
    else delete out.retryHostPredicate;
  }
  if (retries.retryRemoteLocalities) out.retryPriority = { name: PREVIOUS_PRIORITIES, typedConfig: toAny(TypeUrl.PreviousPrioritiesConfig, { updateFrequency: 2 }) };
  const backoff = convertDuration(retries.backoff);
  if (backoff) out.retryBackOff = { baseInterval: backoff };
  return out;
}

/** Splits `retryOn` into Envoy conditions and HTTP status codes (numbers that are real statuses). */
function parseRetryOn(text: string): { on: string[]; codes: number[] } {
  const on: string[] = [];
  const codes: number[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    if (/^\d+$/.test(part) && Number(part) >= 100 && Number(part) <= 599) codes.push(Number(part));
    else on.push(part);
  }
  return { on, codes };
}
