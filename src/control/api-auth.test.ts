import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  allowedAuthorities,
  bearerMatches,
  checkHostAndOrigin,
  generateApiToken,
  isJsonContentType,
  isLoopbackHost,
  removeApiTokenFile,
  withoutApiCredentials,
  writeApiTokenFile,
} from './api-auth.js';

test('bearerMatches: only "Bearer <the token>", scheme case-insensitive', () => {
  const t = generateApiToken();
  assert.match(t, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(bearerMatches(`Bearer ${t}`, t), true);
  assert.equal(bearerMatches(`bearer ${t}`, t), true);
  assert.equal(bearerMatches(`Bearer ${t}x`, t), false);
  assert.equal(bearerMatches(`Bearer ${t.slice(1)}`, t), false);
  assert.equal(bearerMatches(`Basic ${t}`, t), false);
  assert.equal(bearerMatches(t, t), false);
  assert.equal(bearerMatches(undefined, t), false);
  assert.equal(bearerMatches('Bearer ', ''), false);
  assert.equal(bearerMatches(`Bearer ${t} extra`, t), false);
});

test('isLoopbackHost', () => {
  for (const h of ['127.0.0.1', '127.10.0.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
});

test('Host: the bound address and port (and loopback names when bound to loopback); anything else 421', () => {
  const allowed = allowedAuthorities('127.0.0.1', 15014, 'http');
  for (const host of ['127.0.0.1:15014', 'localhost:15014', 'LOCALHOST:15014', '[::1]:15014']) assert.equal(checkHostAndOrigin({ host }, allowed, 'http'), undefined, host);
  for (const host of ['evil.example:15014', '127.0.0.1', '127.0.0.1:80', 'localhost', '', '127.0.0.2:15014', 'localhost.evil.example:15014']) {
    assert.equal(checkHostAndOrigin({ host }, allowed, 'http')?.status, 421, host);
  }
  assert.equal(checkHostAndOrigin({}, allowed, 'http')?.code, 'MISDIRECTED_HOST');
  // Off loopback: only the configured address.
  const remote = allowedAuthorities('10.1.2.3', 15014, 'https');
  assert.equal(checkHostAndOrigin({ host: '10.1.2.3:15014' }, remote, 'https'), undefined);
  assert.equal(checkHostAndOrigin({ host: 'localhost:15014' }, remote, 'https')?.status, 421);
  // Default port: a browser omits it.
  assert.ok(allowedAuthorities('127.0.0.1', 80, 'http').has('localhost'));
});

test('Origin: only the API itself; Sec-Fetch-Site cross-site refused', () => {
  const allowed = allowedAuthorities('127.0.0.1', 15014, 'http');
  const host = '127.0.0.1:15014';
  assert.equal(checkHostAndOrigin({ host, origin: 'http://127.0.0.1:15014' }, allowed, 'http'), undefined);
  assert.equal(checkHostAndOrigin({ host, origin: 'http://localhost:15014' }, allowed, 'http'), undefined);
  for (const origin of ['http://evil.example', 'null', 'https://127.0.0.1:15014', 'http://127.0.0.1:8080', 'file://', 'garbage']) {
    assert.deepEqual(checkHostAndOrigin({ host, origin }, allowed, 'http')?.status, 403, origin);
  }
  assert.equal(checkHostAndOrigin({ host, 'sec-fetch-site': 'cross-site' }, allowed, 'http')?.code, 'FORBIDDEN_ORIGIN');
  assert.equal(checkHostAndOrigin({ host, 'sec-fetch-site': 'none' }, allowed, 'http'), undefined);
});

test('isJsonContentType', () => {
  assert.equal(isJsonContentType('application/json'), true);
  assert.equal(isJsonContentType('Application/JSON; charset=utf-8'), true);
  for (const t of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/jsonx', 'text/plain; application/json']) {
    assert.equal(isJsonContentType(t), false, String(t));
  }
});

test('token file: 0600 in a 0700 directory, removed on stop only while it holds our token', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-token-'));
  try {
    const file = path.join(root, 'state', 'api-token');
    await writeApiTokenFile(file, 'abc');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.equal(await readFile(file, 'utf8'), 'abc\n');
    await writeFile(file, 'other\n');
    await removeApiTokenFile(file, 'abc');
    assert.equal(await readFile(file, 'utf8'), 'other\n');
    await removeApiTokenFile(file, 'other');
    await assert.rejects(stat(file));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('withoutApiCredentials drops WEFT_API_TOKEN only', () => {
  const env = withoutApiCredentials({ WEFT_API_TOKEN: 'x', PATH: '/bin' });
  assert.deepEqual(env, { PATH: '/bin' });
});
