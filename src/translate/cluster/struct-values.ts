/**
 * Small converters into the protobuf object forms Cluster and ClusterLoadAssignment carry:
 * `google.protobuf.Struct` (`{fields: {k: {stringValue}}}`, not plain JSON), wrappers and durations.
 */
import type { Duration, Struct, StructValue } from '../../envoy/types/core.js';
import { parseDuration } from '../../config/duration.js';
import { toProtoDuration } from '../../envoy/duration.js';

/** A plain JSON value that can become a protobuf `Value`. */
export type PlainValue = string | number | boolean | null | readonly PlainValue[] | { readonly [k: string]: PlainValue };

/** Converts a plain JSON value to a protobuf `Value` in object form (keys sorted for deterministic output). */
export function toStructValue(v: PlainValue): StructValue {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: (v as readonly PlainValue[]).map(toStructValue) } };
  return { structValue: toStruct(v as { readonly [k: string]: PlainValue }) };
}

/** Converts a plain JSON object to a protobuf `Struct` in object form. */
export function toStruct(obj: { readonly [k: string]: PlainValue }): Struct {
  const fields: Record<string, StructValue> = {};
  for (const key of Object.keys(obj).sort()) fields[key] = toStructValue(obj[key]!);
  return { fields };
}

/** Reads a string field of a Struct in object form (undefined when absent or not a string). */
export function structString(s: Struct | undefined, key: string): string | undefined {
  return s?.fields?.[key]?.stringValue;
}

/** Parses an Istio duration string (`10s`, `500ms`) to a protobuf Duration; undefined when absent or invalid. */
export function durationFromIstio(text: string | undefined): Duration | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : toProtoDuration(ms);
}

/** Whole seconds of an Istio duration string, as istiod truncates them for keepalive settings. */
export function wholeSecondsFromIstio(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}
