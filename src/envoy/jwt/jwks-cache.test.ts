import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JwksError, readCappedText } from './jwks-cache.js';

test('readCappedText returns a body within the cap', async () => {
  assert.equal(await readCappedText(new Response('{"keys":[]}'), 100), '{"keys":[]}');
});

test('readCappedText refuses a declared content-length over the cap before reading', async () => {
  const res = new Response('x'.repeat(50), { headers: { 'content-length': '50' } });
  await assert.rejects(readCappedText(res, 10), (e: unknown) => e instanceof JwksError && e.code === 'JWKS_FETCH_FAILED');
});

test('readCappedText stops reading a streamed body once it passes the cap', async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024));
      if (pulled > 10_000) c.close();
    },
  });
  await assert.rejects(readCappedText(new Response(body), 4096), /exceeds the 4096-byte limit/);
  assert.ok(pulled < 20, `pulled ${pulled} chunks`);
});
