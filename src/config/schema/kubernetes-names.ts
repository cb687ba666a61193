/**
 * Kubernetes naming and value rules the API server enforces (apimachinery's `IsDNS1123Label`,
 * `IsQualifiedName`, `IsValidLabelValue`, `IsValidPortName`, `IsConfigMapKey`), plus the small
 * shared structures (ObjectReference, LabelSelector) the registry kinds use.
 */
import { z } from 'zod';
import { isIPv4, isIPv6 } from 'node:net';
import type { IssueSink } from './common.js';

type Path = readonly (string | number)[];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** RFC 1123 label: lowercase alphanumerics and `-`, at most 63 characters. */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** IANA service name (container port names, named target ports): ≤ 15 chars, a letter, no `--`. */
export function isIanaSvcName(s: string): boolean {
  return s.length <= 15 && IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

/** Returns why `key` is not a valid label/annotation key (`[prefix/]name`), or undefined. */
export function labelKeyError(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return `invalid label key "${key}": at most one "/" is allowed`;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && (parts[0] === '' || !isDns1123Subdomain(parts[0]!))) {
    return `invalid label key "${key}": the prefix must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return `invalid label key "${key}": the name must be 1-63 characters of alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Returns why `value` is not a valid label value, or undefined (empty is valid). */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !QUALIFIED_NAME.test(value)) {
    return `invalid label value "${value}": must be at most 63 characters of alphanumerics, "-", "_" or ".", starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Checks every key and value of a label map. */
export function checkLabels(labels: Readonly<Record<string, string>> | undefined, sink: IssueSink, path: Path): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const e = labelKeyError(k) ?? labelValueError(v);
    if (e) sink.error([...path, k], e);
  }
}

/** Returns why `key` is not a valid ConfigMap/Secret data key, or undefined. */
export function configKeyError(key: string): string | undefined {
  if (key.length === 0 || key.length > 253 || !CONFIG_KEY.test(key)) {
    return `invalid key "${key}": must be 1-253 characters of alphanumerics, "-", "_" or "."`;
  }
  if (key === '.' || key === '..' || key.startsWith('..')) return `invalid key "${key}": must not be "." or start with ".."`;
  return undefined;
}

/** True when `s` is standard base64 with padding (line breaks ignored, as Go's decoder does). */
export function isBase64(s: string): boolean {
  return BASE64.test(s.replace(/[\r\n]/g, ''));
}

/** True for an IPv4 or IPv6 address (no CIDR). */
export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** A Kubernetes ObjectReference. */
export const objectReference = z.strictObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
/** A reference to another object. */
export type ObjectReference = z.infer<typeof objectReference>;

/** A Kubernetes label selector: `matchLabels` AND every `matchExpressions` entry. */
export const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.strictObject({
    key: z.string(),
    operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
    values: z.array(z.string()).optional(),
  })).optional(),
});
/** A label selector. */
export type LabelSelector = z.infer<typeof labelSelector>;

/** Checks a label selector as the API server does (label syntax, operator/values pairing). */
export function checkLabelSelector(sel: LabelSelector, sink: IssueSink, path: Path): void {
  checkLabels(sel.matchLabels, sink, [...path, 'matchLabels']);
  sel.matchExpressions?.forEach((e, i) => {
    const p = [...path, 'matchExpressions', i];
    const keyErr = labelKeyError(e.key);
    if (keyErr) sink.error([...p, 'key'], keyErr);
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) {
      sink.error([...p, 'values'], `must be specified when operator is ${e.operator}`);
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) {
      sink.error([...p, 'values'], `may not be specified when operator is ${e.operator}`);
    }
  });
}

/** True when `labels` satisfy the selector (an empty selector matches everything). */
export function selectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
