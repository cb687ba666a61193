import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyBufferLimit, DEFAULT_BODY_BUFFER_LIMIT } from './request-body.js';

test('retry/shadow buffer limit: route, else virtual host, else the 1 MiB connection default', () => {
  assert.equal(DEFAULT_BODY_BUFFER_LIMIT, 1024 * 1024);
  assert.equal(bodyBufferLimit(undefined, undefined), DEFAULT_BODY_BUFFER_LIMIT);
  assert.equal(bodyBufferLimit({ perRequestBufferLimitBytes: { value: 10 } }, { perRequestBufferLimitBytes: { value: 20 } }), 10);
  assert.equal(bodyBufferLimit({}, { perRequestBufferLimitBytes: { value: 20 } }), 20);
  assert.equal(bodyBufferLimit({}, {}, 32 * 1024), 32 * 1024);
});
