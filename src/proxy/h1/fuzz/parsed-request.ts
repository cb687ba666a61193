/**
 * The outcome both parsers of the differential test are reduced to: the messages parsed from one
 * connection's bytes (method, target, version, header fields, body bytes, trailers) and how the
 * stream ended. Test support (fuzz/), not used by the proxy.
 */

/** One parsed request. */
export interface ParsedMessage {
  readonly method: string;
  readonly target: string;
  readonly versionMinor: number;
  /** Names and values alternating, as received. */
  readonly rawHeaders: readonly string[];
  /** The de-chunked body as latin1. */
  readonly body: string;
  readonly trailers: readonly string[];
  readonly upgrade: boolean;
  readonly keepAlive: boolean;
}

/**
 * How the input ended: `ok` (all bytes parsed, complete), `upgrade` (a tunnel begins at `offset`),
 * `closed` (a request ended the connection; later bytes are not requests), or `error` (refused,
 * including a request cut short at the end of the input).
 */
export interface ParseOutcome {
  readonly messages: readonly ParsedMessage[];
  readonly end: 'ok' | 'upgrade' | 'closed' | 'error';
  /** Byte offset where the tunnel starts (`upgrade` only). */
  readonly offset?: number;
  /** The parser's error code (`error` only). */
  readonly code?: string;
}
