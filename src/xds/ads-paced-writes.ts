/**
 * Large ADS responses reach a TLS connection in slices.
 *
 * Why: grpc-js writes a whole gRPC message (a proxy's first CDS or EDS response is several MB)
 * to its HTTP/2 stream in one write, and with the large flow-control windows xDS clients open
 * (Envoy: 256 MiB) Node's HTTP/2 session hands all of it to the socket in one write. On a TLS
 * socket, Node's TLSWrap then sizes its encrypted-output buffer for the whole write
 * (`NodeBIO::set_allocate_tls_hint`, src/crypto/crypto_tls.cc `ClearIn`) and keeps that buffer in
 * its ring for the life of the connection: measured, one 7 MB write leaves about 8 MB of native
 * memory per connection until it closes (100 proxies: ≈ 700 MB the plaintext port does not
 * use), and allocating and faulting it in costs CPU on every first sync. Fed to the HTTP/2 stream
 * `sliceBytes` at a time, each slice written only once the previous one left the process, the
 * socket's writes and that buffer stay at about one slice. The bytes on the wire are the same
 * (one gRPC message, DATA frames as HTTP/2 flow control allows); only the pacing changes.
 *
 * grpc-js exposes no hook for this, so the HTTP/2 stream is found on the server call's internals
 * (`call.call.stream` of @grpc/grpc-js 1.x with no interceptors) and its `write` is wrapped for
 * that stream only; when the shape is not found, writes stay as they were (ads-paced-writes.test.ts
 * fails if a grpc-js upgrade moves it).
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';

/** Default slice (1 MiB): a push of a ~1 MB RouteConfiguration stays one or two writes; the buffer TLS keeps stays about 1 MB per connection. */
export const DEFAULT_SLICE_BYTES = 1024 * 1024;

type WriteCallback = (err?: Error | null) => void;

interface Http2StreamLike {
  write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean;
  readonly session?: { readonly socket?: { readonly encrypted?: boolean } } | undefined;
}

function http2StreamOf<Req, Res>(call: ServerDuplexStream<Req, Res>): Http2StreamLike | undefined {
  const stream = (call as unknown as { call?: { stream?: unknown } }).call?.stream as Partial<Http2StreamLike> | undefined;
  if (!stream || typeof stream.write !== 'function' || typeof (stream as { respond?: unknown }).respond !== 'function') return undefined;
  return stream as Http2StreamLike;
}

/**
 * Makes the call's HTTP/2 stream take messages larger than `sliceBytes` in slices, each after the
 * previous one was written out (its write callback), the message's callback after the last. Only
 * on TLS connections unless `always`. Returns whether pacing was installed.
 */
export function paceLargeWrites<Req, Res>(call: ServerDuplexStream<Req, Res>, options: { sliceBytes?: number; always?: boolean } = {}): boolean {
  const stream = http2StreamOf(call);
  if (!stream) return false;
  if (!options.always && stream.session?.socket?.encrypted !== true) return false;
  const sliceBytes = options.sliceBytes ?? DEFAULT_SLICE_BYTES;
  const write = stream.write;
  stream.write = function paced(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const done = (typeof encoding === 'function' ? encoding : cb) as WriteCallback | undefined;
    if (!(chunk instanceof Uint8Array) || chunk.length <= sliceBytes) return write.call(stream, chunk, encoding, cb);
    let offset = 0;
    const next = (err?: Error | null): void => {
      if (err || offset >= chunk.length) {
        done?.(err);
        return;
      }
      const slice = chunk.subarray(offset, offset + sliceBytes);
      offset += slice.length;
      write.call(stream, slice, next);
    };
    next();
    return true;
  };
  return true;
}
