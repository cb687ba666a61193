import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { OutboundAuth, outboundProxyUrl } from './outbound-auth.js';

const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const req = (headers: Record<string, string>, socket = {} as Socket) => ({ headers: { ...headers }, socket }) as unknown as IncomingMessage;

test('outbound auth: the proxy URL carries the secret as the Basic password', () => {
  const url = new URL(outboundProxyUrl('127.10.0.2', 15001, SECRET));
  assert.equal(url.username, 'weft');
  assert.equal(decodeURIComponent(url.password), SECRET);
  const auth = new OutboundAuth(SECRET);
  assert.equal(auth.matches(basic(url.username, decodeURIComponent(url.password))), true);
});

test('outbound auth: missing, wrong, truncated or non-Basic credentials are refused; the header never goes upstream', () => {
  const auth = new OutboundAuth(SECRET);
  for (const h of [undefined, '', basic('weft', ''), basic('weft', SECRET.slice(0, -1)), basic('weft', `${SECRET}x`), `Bearer ${SECRET}`, 'Basic !!!', basic(SECRET, 'x')]) {
    const r = req(h === undefined ? {} : { 'proxy-authorization': h });
    assert.equal(auth.authorize(r), false, String(h));
    assert.equal(r.headers['proxy-authorization'], undefined);
  }
  const ok = req({ 'proxy-authorization': basic('anyone', SECRET) });
  assert.equal(auth.authorize(ok), true);
  assert.equal(ok.headers['proxy-authorization'], undefined);
});

test('outbound auth: requests inside an authorized CONNECT tunnel need no header', () => {
  const auth = new OutboundAuth(SECRET);
  const tunnel = {} as Socket;
  assert.equal(auth.authorize(req({}, tunnel)), false);
  auth.trustTunnel(tunnel);
  assert.equal(auth.authorize(req({}, tunnel)), true);
  assert.equal(auth.authorize(req({}, {} as Socket)), false);
  assert.throws(() => new OutboundAuth('short'));
});
