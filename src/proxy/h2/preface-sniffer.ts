/**
 * Tells HTTP/2 with prior knowledge (h2c) from HTTP/1.x on a freshly accepted connection by its
 * first bytes: an HTTP/2 client starts with the 24-byte connection preface
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`; anything else is HTTP/1.x. One peek per connection (never per
 * request): the first chunk is read, put back with `unshift`, and the socket handed to the right
 * server. A connection whose first byte is not `P` is decided at once; one that sends a prefix of
 * the preface and stalls is decided when more bytes arrive or closed after `timeoutMs`; one that
 * ends before saying anything is closed at once (listeners are half-open capable, so without this a
 * client that connects and leaves would keep its socket, and a slot of the listener's connection
 * limit, until the timeout). A TLS
 * socket that negotiated ALPN `h2` skips the peek (see {@link negotiatedH2}).
 */
import type { Socket } from 'node:net';

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE: Buffer = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What the first bytes said. */
export type SniffedProtocol = 'h1' | 'h2';

/** Default wait for a client's first bytes (ms) before the connection is closed. */
export const SNIFF_TIMEOUT_MS = 60_000;

/** True when `socket` is a TLS socket whose ALPN negotiation chose `h2` (the TLS termination hook). */
export function negotiatedH2(socket: Socket): boolean {
  return (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol === 'h2';
}

/**
 * Classifies bytes read so far: 'h2' (full preface), 'h1' (cannot be a preface), or undefined
 * (a strict prefix of the preface; wait for more).
 */
export function classify(bytes: Buffer): SniffedProtocol | undefined {
  const n = Math.min(bytes.length, H2_PREFACE.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== H2_PREFACE[i]) return 'h1';
  return bytes.length >= H2_PREFACE.length ? 'h2' : undefined;
}

/**
 * Peeks the first bytes of `socket` and calls `onH1` or `onH2` with it, the bytes put back so the
 * chosen server reads them first. HTTP/1 gets the socket resumed (the HTTP/1 codec, h1/server-connection.ts, attaches its reader
 * synchronously); HTTP/2 sessions read the buffered bytes themselves.
 */
export function sniffProtocol(socket: Socket, onH1: (s: Socket) => void, onH2: (s: Socket) => void, timeoutMs = SNIFF_TIMEOUT_MS): void {
  if (negotiatedH2(socket)) {
    onH2(socket);
    return;
  }
  let seen: Buffer | undefined;
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const cleanup = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', cleanup);
    socket.off('error', cleanup);
    socket.off('end', onEnd);
  };
  const onEnd = (): void => {
    cleanup();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    const p = classify(seen);
    if (p === undefined) return;
    cleanup();
    socket.pause();
    socket.unshift(seen);
    if (p === 'h2') onH2(socket);
    else {
      onH1(socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.once('close', cleanup);
  socket.once('error', cleanup);
  socket.once('end', onEnd);
}
