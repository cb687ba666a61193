/**
 * Resource limits of the downstream HTTP/2 codec, from the HCM's `http2_protocol_options`
 * (envoy.config.core.v3.Http2ProtocolOptions): `max_concurrent_streams`,
 * `initial_stream_window_size` and `initial_connection_window_size`.
 *
 * Envoy's own defaults (2^31-1 streams, 256 MiB windows) are tailored for the mesh; its
 * "Configuring Envoy as an edge proxy" best practices ask for 100 streams per connection, a 64 KiB
 * stream window and a 1 MiB connection window. Weft's proxy faces apps and external clients it does
 * not trust on every listener, so those edge values are its defaults when the HCM sets nothing;
 * a value set in the HCM wins, clamped to the range Envoy's proto validation accepts
 * (streams 1…2^31-1, windows 65535…2^31-1). With these, one connection holds at most 100 streams
 * and at most 1 MiB of request body the proxy has not yet passed on.
 */
import type { Http2ProtocolOptions } from '../../envoy/types.js';

/** The downstream HTTP/2 limits a listener applies. */
export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised; streams beyond it are refused (REFUSED_STREAM). */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE advertised: body bytes a client may send per stream before the proxy reads them. */
  readonly initialStreamWindowSize: number;
  /** Connection-level flow-control window: body bytes a client may send on the connection before the proxy reads them. */
  readonly initialConnectionWindowSize: number;
}

/** Envoy's edge-proxy guidance (configuration/best_practices/edge): 100 streams, 64 KiB, 1 MiB. */
export const EDGE_H2_LIMITS: H2Limits = Object.freeze({
  maxConcurrentStreams: 100,
  initialStreamWindowSize: 64 * 1024,
  initialConnectionWindowSize: 1024 * 1024,
});

const MAX_31 = 2 ** 31 - 1;
/** Smallest window Envoy accepts (the HTTP/2 default window, RFC 9113 §6.9.2). */
const MIN_WINDOW = 65_535;

function clamp(v: unknown, min: number, max: number, dflt: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return dflt;
  return Math.min(max, Math.max(min, Math.floor(n)));
}

/**
 * The limits of an HCM's `http2ProtocolOptions`: each field set (wrapper present) is clamped to
 * Envoy's valid range; unset fields take {@link EDGE_H2_LIMITS}.
 */
export function h2LimitsFrom(o: Http2ProtocolOptions | undefined): H2Limits {
  if (o === undefined) return EDGE_H2_LIMITS;
  const d = EDGE_H2_LIMITS;
  return {
    maxConcurrentStreams: o.maxConcurrentStreams ? clamp(o.maxConcurrentStreams.value ?? 0, 1, MAX_31, d.maxConcurrentStreams) : d.maxConcurrentStreams,
    initialStreamWindowSize: o.initialStreamWindowSize ? clamp(o.initialStreamWindowSize.value ?? 0, MIN_WINDOW, MAX_31, d.initialStreamWindowSize) : d.initialStreamWindowSize,
    initialConnectionWindowSize: o.initialConnectionWindowSize
      ? clamp(o.initialConnectionWindowSize.value ?? 0, MIN_WINDOW, MAX_31, d.initialConnectionWindowSize)
      : d.initialConnectionWindowSize,
  };
}

/** True when two limit sets are the same. */
export function sameH2Limits(a: H2Limits, b: H2Limits): boolean {
  return a.maxConcurrentStreams === b.maxConcurrentStreams && a.initialStreamWindowSize === b.initialStreamWindowSize
    && a.initialConnectionWindowSize === b.initialConnectionWindowSize;
}
