/**
 * Why the downstream HTTP/1.1 codec refused a request: a stable code per failure, the status of
 * the local reply the connection answers with (400, 408, 413, 431, 501), and Envoy-style response
 * code details (`http1.codec_error{…}`, `http1.headers_too_large`, as Envoy's HTTP/1 codec names
 * them in `Http1ResponseCodeDetailValues`, source/common/http/http1/codec_impl.cc).
 */

/** Every failure the request codec reports; each maps to one status and one details string. */
import { WeftError } from '../../util/weft-error.js';
export const H1_FAILURES = {
  INVALID_METHOD: { status: 400, details: 'http1.codec_error{invalid_method}' },
  UNKNOWN_METHOD: { status: 501, details: 'http1.codec_error{unknown_method}' },
  INVALID_TARGET: { status: 400, details: 'http1.invalid_url' },
  INVALID_VERSION: { status: 400, details: 'http1.codec_error{invalid_http_version}' },
  INVALID_REQUEST_LINE: { status: 400, details: 'http1.codec_error{invalid_request_line}' },
  BARE_CR_OR_LF: { status: 400, details: 'http1.codec_error{bare_cr_or_lf}' },
  OBS_FOLD: { status: 400, details: 'http1.codec_error{obs_fold}' },
  INVALID_HEADER_NAME: { status: 400, details: 'http1.invalid_characters' },
  INVALID_HEADER_VALUE: { status: 400, details: 'http1.invalid_characters' },
  INVALID_CONTENT_LENGTH: { status: 400, details: 'http1.codec_error{invalid_content_length}' },
  DUPLICATE_CONTENT_LENGTH: { status: 400, details: 'http1.codec_error{duplicate_content_length}' },
  CONTENT_LENGTH_AND_CHUNKED: { status: 400, details: 'http1.content_length_and_chunked_not_allowed' },
  INVALID_TRANSFER_ENCODING: { status: 400, details: 'http1.invalid_transfer_encoding' },
  TRANSFER_ENCODING_NOT_ALLOWED: { status: 400, details: 'http1.transfer_encoding_not_allowed' },
  BODY_NOT_ALLOWED: { status: 400, details: 'http1.body_disallowed' },
  DUPLICATE_HOST: { status: 400, details: 'http1.codec_error{duplicate_host}' },
  MISSING_HOST: { status: 400, details: 'http1.codec_error{missing_host}' },
  INVALID_CHUNK: { status: 400, details: 'http1.codec_error{invalid_chunk}' },
  CHUNK_SIZE_TOO_LARGE: { status: 400, details: 'http1.codec_error{chunk_size_too_large}' },
  INVALID_TRAILER: { status: 400, details: 'http1.invalid_characters' },
  INCOMPLETE_MESSAGE: { status: 400, details: 'http1.codec_error{incomplete_message}' },
  HEADERS_TOO_LARGE: { status: 431, details: 'http1.headers_too_large' },
  TOO_MANY_HEADERS: { status: 431, details: 'http1.too_many_headers' },
  URI_TOO_LONG: { status: 431, details: 'http1.headers_too_large' },
  BODY_TOO_LARGE: { status: 413, details: 'http1.body_too_large' },
  HEADERS_TIMEOUT: { status: 408, details: 'http1.request_headers_timeout' },
  UPGRADE_NOT_SUPPORTED: { status: 501, details: 'http1.codec_error{upgrade_not_supported}' },
} as const satisfies Record<string, { status: number; details: string }>;

/** A failure name of {@link H1_FAILURES}. */
export type H1Failure = keyof typeof H1_FAILURES;

/** Reason phrases of the statuses the codec answers itself. */
export const LOCAL_REPLY_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
};

/** A request the codec refuses; `code` is `WEFT_H1_<failure>` (stable), `status` the reply's. */
export class H1CodecError extends WeftError {
  /** Stable code, e.g. `WEFT_H1_BARE_CR_OR_LF`. */
  readonly code: `WEFT_H1_${H1Failure}`;
  /** The failure name (key of {@link H1_FAILURES}). */
  readonly failure: H1Failure;
  /** Status of the local reply (400, 408, 413, 431 or 501). */
  readonly status: number;
  /** Envoy-style response code details. */
  readonly details: string;
  constructor(failure: H1Failure, message: string) {
    super(`HTTP/1.1 request refused: ${message}`);
    this.name = 'H1CodecError';
    this.failure = failure;
    this.code = `WEFT_H1_${failure}`;
    this.status = H1_FAILURES[failure].status;
    this.details = H1_FAILURES[failure].details;
  }
}
