/**
 * The one error type of Weft's ADS transport (server and client). Every failure carries a stable
 * `code` so callers (CLI, control plane, proxy) can react to and print it without parsing text.
 */
import { WeftError } from '../util/weft-error.js';

/** Stable codes of ADS failures. */
export const AdsErrorCode = {
  /** The server could not bind its host:port. */
  Bind: 'ADS_BIND',
  /** An operation needs a started server (or an open client) and it is not. */
  NotRunning: 'ADS_NOT_RUNNING',
  /** A peer broke the xDS protocol (e.g. a first request without `node`). */
  Protocol: 'ADS_PROTOCOL',
  /** A DiscoveryRequest/Response or a resource inside it could not be decoded. */
  Decode: 'ADS_DECODE',
  /** A resource object could not be encoded for its type URL. */
  Encode: 'ADS_ENCODE',
  /** The resource provider threw while computing a proxy's resources. */
  Provider: 'ADS_PROVIDER',
} as const;

/** One of {@link AdsErrorCode}'s values. */
export type AdsErrorCode = (typeof AdsErrorCode)[keyof typeof AdsErrorCode];

/** Error raised by the ADS server and client; `code` is stable, `message` is for humans. */
export class AdsError extends WeftError {
  readonly code: AdsErrorCode;
  constructor(code: AdsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdsError';
    this.code = code;
  }
}
