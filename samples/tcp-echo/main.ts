/**
 * tcp-echo for Weft, as Istio's tcp-echo-server: `main.js PORTS PREFIX` listens on HOST (default
 * 127.0.0.1) at each port of the comma-separated PORTS and answers each line with `PREFIX line`.
 * When PORT is set (as `weft up` sets it to the first containerPort) it replaces the first of
 * PORTS; with no PORTS argument PORT (default 9000) is the only port. Port 0 picks a free port.
 * Each listener prints `listening on HOST:PORT, prefix: PREFIX`. SIGTERM exits 0.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { onShutdown } from '../shared/lifecycle.js';
import { createEchoServer } from './echo-server.js';

function parsePorts(arg: string | undefined, envPort: string | undefined): number[] {
  const list = (arg ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (envPort?.trim()) {
    const p = Number(envPort);
    if (list.length === 0) list.push(p);
    else list[0] = p;
  }
  if (list.length === 0) list.push(9000);
  for (const p of list) if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`invalid port ${p}`);
  return list;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function main(): Promise<void> {
  const [portsArg, prefixArg] = process.argv.slice(2);
  const prefix = prefixArg ?? process.env.TCP_ECHO_PREFIX ?? 'hello';
  const host = process.env.HOST?.trim() || '127.0.0.1';
  const ports = parsePorts(portsArg, process.env.PORT);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  // Handle SIGTERM before announcing any address: whoever waits for that line may signal at once.
  onShutdown(async () => {
    // Stop accepting, then finish open connections: what was sent is echoed, then FIN.
    const closed = Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
          }),
      ),
    );
    for (const s of sockets) s.end();
    await closed;
  }, 2_000);
  for (const port of ports) {
    const server = createEchoServer(prefix);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    const bound = await listen(server, port, host);
    servers.push(server);
    process.stdout.write(`listening on ${host}:${bound}, prefix: ${prefix}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
