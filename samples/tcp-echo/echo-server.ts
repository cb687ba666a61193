/**
 * The TCP echo server of Istio's tcp-echo sample: every line a client sends comes back prefixed
 * with the server's prefix and a space (`hello` → `one hello`). A final line without a newline is
 * echoed when the client finishes sending; a line longer than 64 KiB is echoed in pieces.
 */
import net from 'node:net';

/** The longest line buffered before it is echoed anyway. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Creates (but does not start) an echo server answering with `prefix`. */
export function createEchoServer(prefix: string, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): net.Server {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let pending: Buffer = Buffer.alloc(0);
    const echo = (line: Buffer): void => {
      log(`request: ${JSON.stringify(line.toString('utf8'))} from ${socket.remoteAddress}:${socket.remotePort}`);
      socket.write(Buffer.concat([Buffer.from(`${prefix} `, 'utf8'), line]));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        echo(pending.subarray(0, nl + 1));
        pending = pending.subarray(nl + 1);
      }
      while (pending.length > MAX_LINE_BYTES) {
        echo(pending.subarray(0, MAX_LINE_BYTES));
        pending = pending.subarray(MAX_LINE_BYTES);
      }
    });
    socket.on('end', () => {
      if (pending.length > 0) echo(pending);
      pending = Buffer.alloc(0);
      socket.end();
    });
    socket.on('error', () => socket.destroy());
  });
  return server;
}
