/**
 * DestinationRule `outlierDetection` → Envoy OutlierDetection, exactly as istiod's
 * applyOutlierDetection maps it:
 *
 * - success-rate ejection is switched off (`enforcingSuccessRate: 0`);
 * - `consecutive5xxErrors` / `consecutiveGatewayErrors`, when set, are copied with their enforcing
 *   percentage 100 (0 when the count is 0, which disables that detector); when unset they are not
 *   written, so Envoy's defaults apply (5 consecutive 5xx, gateway failures off);
 * - `interval`, `baseEjectionTime` are copied when set (Envoy's defaults: 10 s, 30 s);
 *   `maxEjectionPercent` when > 0 (Envoy's default 10);
 * - `splitExternalLocalOriginErrors` turns on local-origin tracking, with
 *   `consecutiveLocalOriginFailures` (> 0) enforced at 100 and local-origin success rate off;
 * - `commonLbConfig.healthyPanicThreshold` is always written, `minHealthPercent` or 0, which disables
 *   Envoy's panic mode (default 50) as Istio intends.
 */
import type { OutlierDetection as IstioOutlierDetection } from '../../config/schema/destination-rule.js';
import type { OutlierDetection } from '../../envoy/types.js';
import type { ClusterDraft, Writable } from './cluster-draft.js';
import { durationFromIstio } from './struct-values.js';

/** Applies outlier detection to a draft; nothing when the policy has none. */
export function applyOutlierDetection(draft: ClusterDraft, outlier: IstioOutlierDetection | undefined): void {
  if (!outlier) return;
  draft.cluster.outlierDetection = convertOutlierDetection(outlier);
  const minHealth = outlier.minHealthPercent ?? 0;
  if (minHealth >= 0) {
    draft.cluster.commonLbConfig = { ...draft.cluster.commonLbConfig, healthyPanicThreshold: { value: minHealth } };
  }
}

/** Maps Istio's OutlierDetection to Envoy's (see the file comment for the rules). */
export function convertOutlierDetection(outlier: IstioOutlierDetection): OutlierDetection {
  const out: Writable<OutlierDetection> = { enforcingSuccessRate: { value: 0 } };
  if (outlier.consecutive5xxErrors !== undefined) {
    const v = outlier.consecutive5xxErrors;
    out.consecutive_5xx = { value: v };
    out.enforcingConsecutive_5xx = { value: v > 0 ? 100 : 0 };
  }
  if (outlier.consecutiveGatewayErrors !== undefined) {
    const v = outlier.consecutiveGatewayErrors;
    out.consecutiveGatewayFailure = { value: v };
    out.enforcingConsecutiveGatewayFailure = { value: v > 0 ? 100 : 0 };
  }
  const interval = durationFromIstio(outlier.interval);
  if (interval) out.interval = interval;
  const base = durationFromIstio(outlier.baseEjectionTime);
  if (base) out.baseEjectionTime = base;
  if ((outlier.maxEjectionPercent ?? 0) > 0) out.maxEjectionPercent = { value: outlier.maxEjectionPercent! };
  if (outlier.splitExternalLocalOriginErrors) {
    out.splitExternalLocalOriginErrors = true;
    if ((outlier.consecutiveLocalOriginFailures ?? 0) > 0) {
      out.consecutiveLocalOriginFailure = { value: outlier.consecutiveLocalOriginFailures! };
      out.enforcingConsecutiveLocalOriginFailure = { value: 100 };
    }
    out.enforcingLocalOriginSuccessRate = { value: 0 };
  }
  return out;
}
