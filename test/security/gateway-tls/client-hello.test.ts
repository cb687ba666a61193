/** The ClientHello reader (src/proxy/tls/client-hello.ts) on real hellos from node:tls. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { inspectClientHello } from '../../../src/proxy/tls/client-hello.js';

/** Captures the first bytes a TLS client sends. */
async function captureHello(opts: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (d: Buffer) => { resolve(d); s.destroy(); })));
  const c = tls.connect({ host: '127.0.0.1', port, ...opts });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

test('reads SNI and ALPN; waits for more bytes; refuses non-TLS', async () => {
  const hello = await captureHello({ servername: 'HTTPBIN.example.com', ALPNProtocols: ['h2', 'http/1.1'] });
  assert.deepEqual(inspectClientHello(hello), { kind: 'hello', serverName: 'httpbin.example.com', alpn: ['h2', 'http/1.1'] });
  assert.deepEqual(inspectClientHello(hello.subarray(0, 3)), { kind: 'need-more' });
  assert.deepEqual(inspectClientHello(hello.subarray(0, hello.length - 1)), { kind: 'need-more' });
  assert.deepEqual(inspectClientHello(Buffer.from('GET / HTTP/1.1\r\n')), { kind: 'not-tls' });
});

test('a hello without SNI (IP address) and one split over two records', async () => {
  const hello = await captureHello({ ALPNProtocols: ['http/1.1'] });
  const r = inspectClientHello(hello);
  assert.equal(r.kind, 'hello');
  assert.equal('serverName' in r ? r.serverName : undefined, undefined);
  // Re-frame the handshake message into two records, as a client may.
  const body = hello.subarray(5);
  const cut = 40;
  const rec = (b: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff]), b]);
  const twoRecords = Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))]);
  assert.deepEqual(inspectClientHello(twoRecords), r);
  assert.deepEqual(inspectClientHello(twoRecords.subarray(0, 5 + cut + 3)), { kind: 'need-more' });
});
