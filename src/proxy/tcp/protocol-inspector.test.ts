import assert from 'node:assert/strict';
import { test } from 'node:test';
import { H2_PREFACE } from '../h2/preface-sniffer.js';
import { inspectBytes, inspectHttp, MAX_HTTP_INSPECT_BYTES } from './protocol-inspector.js';

const b = (s: string) => Buffer.from(s, 'latin1');

test('http_inspector: HTTP/1.1 and HTTP/1.0 request lines, h2c preface', () => {
  assert.equal(inspectHttp(b('GET /x HTTP/1.1\r\nHost: a\r\n\r\n')), 'http/1.1');
  assert.equal(inspectHttp(b('POST /x?y HTTP/1.0\r\n')), 'http/1.0');
  assert.equal(inspectHttp(H2_PREFACE), 'h2c');
});

test('http_inspector: waits on prefixes, decides "none" as soon as bytes cannot be HTTP', () => {
  assert.equal(inspectHttp(b('GE')), undefined);
  assert.equal(inspectHttp(b('GET /x HT')), undefined);
  assert.equal(inspectHttp(b('PRI * HTTP/2')), undefined, 'a prefix of the h2 preface');
  assert.equal(inspectHttp(b('hello\n')), 'none', 'a full line that is no request line');
  assert.equal(inspectHttp(b('GET /x FTP/1.1')), 'none');
  assert.equal(inspectHttp(b('GET /x HTTP/2.0\r\n')), 'none');
  assert.equal(inspectHttp(b('\x00\x01binary')), 'none');
  assert.equal(inspectHttp(b('GET /x HTTP/1.1'), true), 'none', 'final without a line end');
  assert.equal(inspectHttp(b(`GET /${'a'.repeat(MAX_HTTP_INSPECT_BYTES)}`)), 'none', 'no line end within the inspect limit');
});

test('tls_inspector before http_inspector: a ClientHello is tls, other bytes raw_buffer', () => {
  const raw = inspectBytes(b('ping\n'), { tls: true, http: true });
  assert.deepEqual(raw, { transportProtocol: 'raw_buffer', applicationProtocols: [] });
  assert.equal(inspectBytes(b('\x16\x03\x01'), { tls: true, http: true }), undefined, 'a partial TLS record waits');
  const h = inspectBytes(b('GET / HTTP/1.1\r\n'), { tls: true, http: true });
  assert.deepEqual(h, { transportProtocol: 'raw_buffer', applicationProtocols: ['http/1.1'] });
  assert.deepEqual(inspectBytes(b('GET / HTTP/1.1\r\n'), { tls: true, http: false }), { transportProtocol: 'raw_buffer', applicationProtocols: [] });
});
