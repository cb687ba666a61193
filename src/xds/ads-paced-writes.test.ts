import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createSelfSignedRoot } from '../security/ca/ca-store.js';
import { paceLargeWrites } from './ads-paced-writes.js';

const KB = 1024;
const identity = (b: Buffer) => b;
const service: grpc.ServiceDefinition = {
  Stream: { path: '/weft.test.Paced/Stream', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: 'Stream' },
};

/**
 * One bidi stream on a real gRPC server (TLS or plaintext on 127.0.0.1): the server paces its
 * stream, records the sizes of the writes the HTTP/2 stream gets, and sends `message` back.
 */
async function roundTrip(tls: boolean, message: Buffer | Buffer[]): Promise<{ installed: boolean; writes: number[]; received: Buffer; all: Buffer[] }> {
  const root = tls ? await createSelfSignedRoot({ trustDomain: 'cluster.local', commonName: 'paced' }) : undefined;
  const server = new grpc.Server({ 'grpc.max_send_message_length': -1 });
  let installed = false;
  const writes: number[] = [];
  server.addService(service, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      // A spy under the pacing wrapper: sees what the HTTP/2 stream is handed.
      const stream = (call as unknown as { call?: { stream?: { write: (...a: unknown[]) => boolean } } }).call?.stream;
      if (stream) {
        const write = stream.write;
        stream.write = (chunk: unknown, ...rest: unknown[]) => {
          if (chunk instanceof Uint8Array) writes.push(chunk.length);
          return write.call(stream, chunk, ...rest);
        };
      }
      installed = paceLargeWrites(call, { sliceBytes: 64 * KB });
      call.on('data', () => {
        // Back-to-back writes, as a push writes CDS then EDS in one turn.
        for (const m of Array.isArray(message) ? message : [message]) call.write(m);
        call.end();
      });
    },
  });
  const creds = root ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(root.keyPem), cert_chain: Buffer.from(root.certPem) }], false) : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  const Client = grpc.makeGenericClientConstructor(service, 'Paced');
  const client = new Client(
    `127.0.0.1:${port}`,
    root ? grpc.credentials.createSsl(Buffer.from(root.certPem), null, null, { checkServerIdentity: () => undefined }) : grpc.credentials.createInsecure(),
    { 'grpc.max_receive_message_length': -1 },
  );
  try {
    const all = await new Promise<Buffer[]>((resolve, reject) => {
      const s = client.makeBidiStreamRequest(service.Stream!.path, identity, identity) as grpc.ClientDuplexStream<Buffer, Buffer>;
      const got: Buffer[] = [];
      s.on('data', (b: Buffer) => got.push(b));
      s.on('error', reject);
      s.on('end', () => (got.length > 0 ? resolve(got) : reject(new Error('no message'))));
      s.write(Buffer.from('hello'));
    });
    return { installed, writes, received: all[all.length - 1]!, all };
  } finally {
    client.close();
    server.forceShutdown();
  }
}

test('over TLS a large message reaches the HTTP/2 stream in slices and arrives intact', async () => {
  const message = Buffer.alloc(1024 * KB + 7);
  for (let i = 0; i < message.length; i++) message[i] = (i * 31 + (i >> 10)) & 255;
  const r = await roundTrip(true, message);
  assert.equal(r.installed, true, 'pacing found the HTTP/2 stream of the grpc-js call (internals moved?)');
  assert.ok(r.received.equals(message), 'the message arrives byte for byte');
  // grpc-js frames the message (5 bytes more); every piece the stream got is one slice at most.
  assert.ok(Math.max(...r.writes) <= 64 * KB, `writes of ${Math.max(...r.writes)} bytes`);
  assert.equal(r.writes.reduce((a, b) => a + b, 0), message.length + 5);
  assert.ok(r.writes.length >= 17);
});

test('plaintext streams are left as they were (nothing to pace: no TLS buffer)', async () => {
  const message = Buffer.alloc(300 * KB, 9);
  const r = await roundTrip(false, message);
  assert.equal(r.installed, false);
  assert.ok(r.received.equals(message));
  assert.deepEqual(r.writes, [message.length + 5]);
});

test('messages written back to back over TLS arrive whole and in order (a sliced one is never interleaved with the next)', async () => {
  const big = (seed: number) => {
    const b = Buffer.alloc(300 * KB + seed);
    for (let i = 0; i < b.length; i++) b[i] = (i * seed + 11) & 255;
    return b;
  };
  const messages = [big(3), Buffer.from('small one'), big(5), big(7)];
  const r = await roundTrip(true, messages);
  assert.equal(r.installed, true);
  assert.equal(r.all.length, messages.length);
  for (let i = 0; i < messages.length; i++) assert.ok(r.all[i]!.equals(messages[i]!), `message ${i} arrives byte for byte`);
});
