/** Certificate name matching as Envoy's `dnsNameMatch` / RFC 6125 §6.4.3. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, dnsNameMatch, labelWildcardMatch, verifySubjectAltNameList } from './hostname-match.js';

test('exact names match case-insensitively', () => {
  assert.equal(dnsNameMatch('api.example.com', 'api.example.com'), true);
  assert.equal(dnsNameMatch('API.Example.COM', 'api.example.com'), true);
  assert.equal(dnsNameMatch('api.example.com', 'web.example.com'), false);
  assert.equal(dnsNameMatch('', ''), false);
});

test('a left-most wildcard covers exactly one label', () => {
  assert.equal(dnsNameMatch('api.example.com', '*.example.com'), true);
  assert.equal(dnsNameMatch('example.com', '*.example.com'), false);
  assert.equal(dnsNameMatch('a.b.example.com', '*.example.com'), false);
  assert.equal(dnsNameMatch('api.example.org', '*.example.com'), false);
  assert.equal(dnsNameMatch('api.evil-example.com', '*.example.com'), false);
  assert.equal(dnsNameMatch('.example.com', '*.example.com'), false);
});

test('wildcards elsewhere, several of them, on a single label or on A-labels never match', () => {
  assert.equal(dnsNameMatch('api.example.com', 'api.*.com'), false);
  assert.equal(dnsNameMatch('a.b.example.com', '*.*.example.com'), false);
  assert.equal(dnsNameMatch('localhost', '*'), false);
  assert.equal(dnsNameMatch('com', '*'), false);
  assert.equal(dnsNameMatch('xn--abc.example.com', 'xn--*.example.com'), false);
  assert.equal(dnsNameMatch('api.example.com', '**.example.com'), false);
});

test('partial label wildcards match within the label', () => {
  assert.equal(dnsNameMatch('api1.example.com', 'api*.example.com'), true);
  assert.equal(dnsNameMatch('eu-api.example.com', '*-api.example.com'), true);
  assert.equal(dnsNameMatch('web.example.com', 'api*.example.com'), false);
  assert.equal(labelWildcardMatch('api', 'a*i'), true);
  assert.equal(labelWildcardMatch('ai', 'a*i'), true);
  assert.equal(labelWildcardMatch('a', 'a*a'), false);
});

test('SAN lists: DNS with wildcards, IP and URI exactly', () => {
  const sans = [{ type: 'DNS', value: '*.corp.example' }, { type: 'IP', value: '127.0.0.5' }, { type: 'URI', value: 'spiffe://corp/ns/a/sa/b' }];
  assert.equal(verifySubjectAltNameList(sans, ['api.corp.example']), true);
  assert.equal(verifySubjectAltNameList(sans, ['127.0.0.5']), true);
  assert.equal(verifySubjectAltNameList(sans, ['spiffe://corp/ns/a/sa/b']), true);
  assert.equal(verifySubjectAltNameList(sans, ['corp.example']), false);
  assert.equal(verifySubjectAltNameList(sans, ['127.0.0.6']), false);
  assert.equal(verifySubjectAltNameList([], ['api.corp.example']), false);
  assert.equal(verifySubjectAltNameList([{ type: 'IP', value: '0:0:0:0:0:0:0:1' }], ['::1']), true);
  assert.equal(canonicalIp('[::1]'), '::1');
});
