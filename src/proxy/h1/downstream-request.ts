/**
 * A request as Weft's HTTP/1.1 server codec hands it to the proxy: the parsed head with
 * node:http's `IncomingMessage` field names (`method`, `url`, `headers`, `rawHeaders`,
 * `httpVersion…`, `socket`), and the body as the object's own `Readable` side, so it satisfies the
 * {@link DownstreamRequest} contract (src/proxy/http/downstream.ts) as node:http's request does.
 * `headers` follows node:http's duplicate rules (header-map.ts). The Readable side reports demand
 * to the connection through `onRead` (back-pressure and `Expect: 100-continue`,
 * server-connection.ts); a request without a body is ended at construction.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, type Duplex } from 'node:stream';
import type { DownstreamRequest } from '../http/downstream.js';
import { headersOf } from './header-map.js';
import type { RequestHead } from './request-parser.js';

/** One downstream HTTP/1.x request (see the module comment). */
export class H1IncomingRequest extends Readable implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly httpVersion: string;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly socket: Socket;
  /** Trailer fields of a chunked body (names and values alternating), once the body has ended. */
  readonly rawTrailers: string[] = [];
  /** The parsed head. */
  readonly head: RequestHead;

  /** @internal Created by the connection; `onRead` is called whenever the body's reader wants more. */
  constructor(head: RequestHead, socket: Duplex, private readonly onRead: () => void) {
    super();
    this.head = head;
    this.method = head.method;
    this.url = head.target;
    this.rawHeaders = head.rawHeaders as string[];
    this.headers = headersOf(head.rawHeaders);
    this.httpVersionMinor = head.versionMinor;
    this.httpVersion = head.versionMinor === 1 ? '1.1' : '1.0';
    this.socket = socket as Socket;
  }

  /** @internal Readable's demand hook. */
  override _read(): void {
    this.onRead();
  }
}
