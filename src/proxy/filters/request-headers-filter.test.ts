import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpConnectionManager } from '../../envoy/types.js';
import { FilterStatus } from '../http/filter.js';
import { stubStream } from '../http/testing/stub-stream.js';
import { RequestHeadersFilter } from './request-headers-filter.js';

const filter = new RequestHeadersFilter();
const hcm = (config: Partial<HttpConnectionManager>, useRemoteAddress = false, direction: 'outbound' | 'inbound' | 'gateway' = 'outbound') =>
  ({ config: config as HttpConnectionManager, useRemoteAddress, direction, generateRequestId: true });

test('request headers: hop-by-hop headers and those Connection names are dropped; x-request-id and x-forwarded-proto added', () => {
  const st = stubStream({ headers: { connection: 'x-secret, keep-alive', 'x-secret': '1', 'keep-alive': 'timeout=5', te: 'trailers', upgrade: 'h2c', 'x-keep': 'yes' }, connectionManager: hcm({}) });
  assert.equal(filter.decodeHeaders(st.info), FilterStatus.Continue);
  const h = st.info.headers;
  for (const n of ['connection', 'x-secret', 'keep-alive', 'te', 'upgrade']) assert.equal(h[n], undefined, n);
  assert.equal(h['x-keep'], 'yes');
  assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(h['x-forwarded-proto'], 'http');
});

test('request headers: a sidecar keeps the caller\'s x-request-id and x-envoy-* headers', () => {
  const st = stubStream({ headers: { 'x-request-id': 'abc', 'x-envoy-retry-on': '5xx' }, connectionManager: hcm({}) });
  filter.decodeHeaders(st.info);
  assert.equal(st.info.headers['x-request-id'], 'abc');
  assert.equal(st.info.headers['x-envoy-retry-on'], '5xx');
});

test('request headers: at an edge (useRemoteAddress) an external request loses x-envoy-*, gets XFF appended and a fresh x-request-id', () => {
  const st = stubStream({
    remoteAddress: '203.0.113.7',
    headers: { 'x-forwarded-for': '198.51.100.1', 'x-request-id': 'client-chosen', 'x-envoy-retry-on': '5xx', 'x-envoy-internal': 'true' },
    connectionManager: hcm({ useRemoteAddress: { value: true } }, true, 'gateway'),
  });
  filter.decodeHeaders(st.info);
  const h = st.info.headers;
  assert.equal(h['x-forwarded-for'], '198.51.100.1, 203.0.113.7');
  assert.equal(h['x-envoy-retry-on'], undefined);
  assert.equal(h['x-envoy-internal'], undefined);
  assert.equal(h['x-envoy-external-address'], '203.0.113.7');
  assert.notEqual(h['x-request-id'], 'client-chosen');
});

test('request headers: at an edge, a peer in internalAddressConfig is internal (x-envoy-internal: true, request id kept)', () => {
  const config = { useRemoteAddress: { value: true }, internalAddressConfig: { cidrRanges: [{ addressPrefix: '127.0.0.0', prefixLen: { value: 8 } }] } } as unknown as Partial<HttpConnectionManager>;
  const st = stubStream({ remoteAddress: '127.0.0.1', headers: { 'x-request-id': 'keep-me' }, connectionManager: hcm(config, true, 'gateway') });
  filter.decodeHeaders(st.info);
  assert.equal(st.info.headers['x-envoy-internal'], 'true');
  assert.equal(st.info.headers['x-request-id'], 'keep-me');
});

test('request headers: an inbound connection manager drops the peer-metadata exchange headers', () => {
  const st = stubStream({ headers: { 'x-envoy-peer-metadata': 'abc', 'x-envoy-peer-metadata-id': 'id' }, connectionManager: hcm({}, false, 'inbound') });
  filter.decodeHeaders(st.info);
  assert.equal(st.info.headers['x-envoy-peer-metadata'], undefined);
  assert.equal(st.info.headers['x-envoy-peer-metadata-id'], undefined);
});
