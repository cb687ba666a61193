/**
 * The encode half of the HTTP filter chain, for the filters that change response headers (CORS).
 * As in Envoy's filter manager, a response passes the encoders of the filters that ran before the
 * one producing it: an upstream response (and any reply of the router, the last filter) passes
 * every registered encoder; a local reply sent by filter `i` passes only the encoders of filters
 * before `i` (so a fault abort, which istiod places before CORS, gets no CORS headers, as in Envoy).
 * Encoders are registered per request by the filter during decoding
 * (`FilterCallbacks.addEncoder`, src/proxy/http/filter.ts); requests with none allocate nothing.
 */
import type { MutableHeaders } from '../../envoy/header-ops.js';
import type { ResponseHeaderEncoder } from '../http/filter.js';

/**
 * Runs the encoders of `s` that apply to a response produced by the filter at `producerIndex`
 * (undefined: the upstream response or the router: every encoder), last registered first, as
 * Envoy iterates encoder filters in reverse order.
 */
export function runEncoders(s: { readonly encoders: readonly ResponseHeaderEncoder[] | undefined }, headers: MutableHeaders, producerIndex?: number): void {
  const list = s.encoders;
  if (list === undefined) return;
  for (let i = list.length - 1; i >= 0; i--) {
    const e = list[i]!;
    if (producerIndex === undefined || e.filterIndex < producerIndex) e.encodeHeaders(headers);
  }
}
