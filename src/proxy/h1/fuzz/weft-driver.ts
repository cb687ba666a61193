/**
 * Drives Weft's {@link H1RequestParser} over one connection's bytes, cut into the given pieces,
 * the way the server connection does (one message per `execute`, leftovers fed again), and reduces
 * the result to a {@link ParseOutcome}. Test support (fuzz/), not used by the proxy.
 */
import { H1CodecError } from '../codec-error.js';
import { H1RequestParser, type RequestHead, type RequestParserLimits } from '../request-parser.js';
import type { ParseOutcome, ParsedMessage } from './parsed-request.js';

/** Parses `pieces` (reads, in order) then the end of the connection. */
export function parseWithWeft(pieces: readonly Buffer[], limits?: RequestParserLimits): ParseOutcome {
  const messages: ParsedMessage[] = [];
  let head: RequestHead | undefined;
  let body: string[] = [];
  let trailers: readonly string[] = [];
  const parser = new H1RequestParser({
    onHead: (h) => {
      head = h;
      body = [];
      trailers = [];
    },
    onBody: (c) => body.push(c.toString('latin1')),
    onTrailers: (t) => (trailers = t),
    onComplete: () => {
      const h = head!;
      messages.push({ method: h.method, target: h.target, versionMinor: h.versionMinor, rawHeaders: h.rawHeaders, body: body.join(''), trailers, upgrade: h.upgrade, keepAlive: h.keepAlive });
    },
  }, limits);
  let offset = 0;
  try {
    for (const piece of pieces) {
      let buf = piece;
      while (buf.length > 0) {
        const used = parser.execute(buf);
        offset += used;
        const state = parser.state;
        if (state === 'upgraded') return { messages, end: 'upgrade', offset };
        if (state === 'closed') return { messages, end: 'closed' };
        buf = buf.subarray(used);
      }
    }
    parser.finish();
  } catch (err) {
    if (err instanceof H1CodecError) return { messages, end: 'error', code: err.code };
    throw err;
  }
  return { messages, end: 'ok' };
}
