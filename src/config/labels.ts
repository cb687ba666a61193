/**
 * Label maps and selectors, as Kubernetes and Istio use them to pick workloads. Configuration
 * vocabulary below the registry and the model (Istio keeps it in pkg/config/labels).
 */

/** An immutable label map. */
export type Labels = Readonly<Record<string, string>>;

/** True when every key/value of `selector` is in `labels` (an empty or absent selector selects all). */
export function selectorMatches(selector: Labels | undefined, labels: Labels | undefined): boolean {
  if (!selector) return true;
  for (const key in selector) {
    if (labels?.[key] !== selector[key]) return false;
  }
  return true;
}

/** True when a selector is absent or has no keys (selects everything in scope). */
export function selectorIsEmpty(selector: Labels | undefined): boolean {
  if (!selector) return true;
  for (const _ in selector) return false;
  return true;
}

/** `app=reviews,version=v2`: a stable rendering used in messages and names. */
export function formatLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}
