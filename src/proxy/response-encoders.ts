/**
 * The encode half of the HTTP filter chain, for the filters that change response headers (CORS).
 * As in Envoy's filter manager, a response passes the encoders of the filters that ran before the
 * one producing it: an upstream response (and any reply of the router, the last filter) passes
 * every registered encoder; a local reply sent by filter `i` passes only the encoders of filters
 * before `i` (so a fault abort, which istiod places before CORS, gets no CORS headers, as in Envoy).
 * Encoders are registered per request by the filter during decoding; requests with none allocate nothing.
 */
import type { MutableHeaders } from '../envoy/header-ops.js';
import type { ProxyStream } from './proxy-stream.js';

/** One filter's response-header hook for one request. */
export interface ResponseHeaderEncoder {
  /** Index in the chain of the filter that registered it. */
  readonly filterIndex: number;
  /** Edits the response headers before they are written downstream. */
  encodeHeaders(headers: MutableHeaders): void;
}

/** Registers an encoder for the filter now deciding on `s`. */
export function addEncoder(s: ProxyStream, encoder: ResponseHeaderEncoder): void {
  (s.encoders ??= []).push(encoder);
}

/**
 * Runs the encoders of `s` that apply to a response produced by the filter at `producerIndex`
 * (undefined: the upstream response or the router: every encoder), last registered first, as
 * Envoy iterates encoder filters in reverse order.
 */
export function runEncoders(s: ProxyStream, headers: MutableHeaders, producerIndex?: number): void {
  const list = s.encoders;
  if (list === undefined) return;
  for (let i = list.length - 1; i >= 0; i--) {
    const e = list[i]!;
    if (producerIndex === undefined || e.filterIndex < producerIndex) e.encodeHeaders(headers);
  }
}
