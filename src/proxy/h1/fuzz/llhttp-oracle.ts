/**
 * llhttp, node:http's request parser, driven directly through Node's internal binding
 * (`_http_common`'s `HTTPParser`, strict mode: no lenient flags, as node:http servers run it
 * without `insecureHTTPParser`). It is the reference of the differential test: the same bytes are
 * parsed by llhttp and by Weft's {@link H1RequestParser} and the outcomes compared. Test support
 * (fuzz/), not used by the proxy.
 */
import { createRequire } from 'node:module';
import type { ParseOutcome, ParsedMessage } from './parsed-request.js';

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string });
  finish(): undefined | (Error & { code?: string });
  [key: number]: unknown;
}
interface HttpCommon {
  HTTPParser: (new () => LlhttpParser) & Record<string, number>;
  methods: string[];
}

const common = createRequire(import.meta.url)('_http_common') as HttpCommon;
const { HTTPParser, methods } = common;
/**
 * llhttp's method enum (llhttp/src/llparse/constants.ts, HTTP_METHOD_MAP): Node's `methods` list is
 * its HTTP methods in enum order, DELETE = 0 … SOURCE = 33, then QUERY, which is 46 in the enum.
 */
function methodName(index: number): string {
  if (index < 34) return methods[index] ?? String(index);
  return index === 46 ? 'QUERY' : `#${index}`;
}

/** The llhttp version node:http runs (e.g. `9.3.1`). */
export const LLHTTP_VERSION = process.versions.llhttp ?? 'unknown';

/** A reusable llhttp request parser (one per test, reset per input). */
export class LlhttpOracle {
  private readonly p = new HTTPParser();

  constructor(private readonly maxHeaderSize = 16 * 1024) {}

  /** Parses `data` as one connection's bytes followed by its end. */
  parse(data: Buffer): ParseOutcome {
    const p = this.p;
    p.initialize(HTTPParser.REQUEST!, {}, this.maxHeaderSize, HTTPParser.kLenientNone!);
    const messages: ParsedMessage[] = [];
    let flushed: string[] = [];
    let flushedUrl = '';
    let cur: { m: Omit<ParsedMessage, 'body' | 'trailers'>; body: string[]; trailers: string[] } | undefined;
    let upgraded = false;
    p[HTTPParser.kOnHeaders!] = (headers: string[], url: string) => {
      if (cur !== undefined) cur.trailers.push(...headers);
      else {
        flushed.push(...headers);
        flushedUrl += url;
      }
    };
    p[HTTPParser.kOnHeadersComplete!] = (_maj: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean) => {
      const raw = headers === undefined ? flushed : [...flushed, ...headers];
      cur = { m: { method: methodName(method), target: url ?? flushedUrl, versionMinor: minor, rawHeaders: raw, upgrade, keepAlive }, body: [], trailers: [] };
      flushed = [];
      flushedUrl = '';
      if (upgrade) upgraded = true;
      return 0;
    };
    p[HTTPParser.kOnBody!] = (b: Buffer) => {
      cur?.body.push(b.toString('latin1'));
    };
    p[HTTPParser.kOnMessageComplete!] = () => {
      if (cur === undefined) return;
      messages.push({ ...cur.m, body: cur.body.join(''), trailers: cur.trailers });
      cur = undefined;
    };
    const r = p.execute(data);
    if (typeof r !== 'number') {
      // Bytes after a message that closed the connection are refused by llhttp; they are not requests.
      if (r.code === 'HPE_CLOSED_CONNECTION') return { messages, end: 'closed' };
      return { messages, end: 'error', code: r.code };
    }
    if (upgraded) return { messages, end: 'upgrade', offset: r };
    const f = p.finish();
    if (f !== undefined) return { messages, end: 'error', code: f.code };
    const last = messages[messages.length - 1];
    return { messages, end: last !== undefined && !last.keepAlive ? 'closed' : 'ok' };
  }
}
