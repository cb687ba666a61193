/**
 * Trace context headers: W3C Trace Context (`traceparent`, `tracestate`) and Zipkin B3 (multi-header
 * `x-b3-traceid` / `x-b3-spanid` / `x-b3-parentspanid` / `x-b3-sampled` / `x-b3-flags`, and the
 * single `b3` header). Parsing is strict (malformed context counts as absent, as in Envoy); ids are
 * lowercase hex from the CSPRNG.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** A parsed trace context. */
export interface TraceContext {
  /** 32 hex digits (a 64-bit B3 id is left-padded with zeros). */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** The sampling decision carried, undefined when the sender left it to us. */
  readonly sampled: boolean | undefined;
  /** Where it came from. */
  readonly source: 'w3c' | 'b3' | 'b3-single';
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v.trim().toLowerCase() : undefined;
}

/** Parses W3C `traceparent` (version 00 layout; higher versions read by prefix, as the spec says). */
export function parseTraceparent(v: string | undefined): TraceContext | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(v);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO32 || spanId === ZERO16) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1, source: 'w3c' };
}

function b3Sampled(v: string | undefined, flags: string | undefined): boolean | undefined {
  if (flags === '1' || v === 'd') return true;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return undefined;
}

/** Parses B3 multi-header or single-header context. */
export function parseB3(h: IncomingHttpHeaders): TraceContext | undefined {
  const single = one(h, 'b3');
  if (single !== undefined) {
    const parts = single.split('-');
    if (parts.length >= 2) {
      const [t, s, d] = parts as [string, string, string | undefined];
      const traceId = t.length === 16 ? t.padStart(32, '0') : t;
      if (HEX32.test(traceId) && HEX16.test(s) && traceId !== ZERO32) return { traceId, spanId: s, sampled: b3Sampled(d, undefined), source: 'b3-single' };
    }
    return undefined;
  }
  const t = one(h, 'x-b3-traceid');
  const s = one(h, 'x-b3-spanid');
  if (t === undefined || s === undefined) return undefined;
  const traceId = t.length === 16 ? t.padStart(32, '0') : t;
  if (!HEX32.test(traceId) || !HEX16.test(s) || traceId === ZERO32) return undefined;
  return { traceId, spanId: s, sampled: b3Sampled(one(h, 'x-b3-sampled'), one(h, 'x-b3-flags')), source: 'b3' };
}

/** A new 64-bit span id. */
export function newSpanId(): string {
  let id = randomBytes(8).toString('hex');
  while (id === ZERO16) id = randomBytes(8).toString('hex');
  return id;
}

/** A new 128-bit trace id. */
export function newTraceId(): string {
  let id = randomBytes(16).toString('hex');
  while (id === ZERO32) id = randomBytes(16).toString('hex');
  return id;
}

/** A `traceparent` value. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
