import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminHostAllowed } from './admin.js';

test('admin Host check: IP literals and localhost pass, names (DNS rebinding) do not', () => {
  for (const h of [undefined, '', '127.10.0.2:15000', '127.0.0.1', '[::1]:15000', 'localhost:15000', 'LOCALHOST']) assert.equal(adminHostAllowed(h), true, String(h));
  for (const h of ['evil.example:15000', 'evil.example', '127.10.0.2.nip.io:15000', 'localhost.evil.example', '[::1', 'x:15000']) assert.equal(adminHostAllowed(h), false, h);
});
