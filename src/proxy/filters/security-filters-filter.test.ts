import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpConnectionManager } from '../../envoy/types.js';
import { FilterStatus } from '../http/filter.js';
import { ProxyError } from '../http/local-reply.js';
import { stubStream } from '../http/testing/stub-stream.js';
import { SecurityFiltersFilter } from './security-filters-filter.js';

const filter = new SecurityFiltersFilter();
const cm = (config: object) => ({ name: `hcm-${Math.random()}`, config: config as HttpConnectionManager });

test('security filters: path normalization replaces the stream path through the callbacks (later filters and the route see it)', () => {
  const st = stubStream({ path: '/a//b/../c', connectionManager: cm({ normalizePath: { value: true }, mergeSlashes: true }) });
  assert.equal(filter.decodeHeaders(st.info, st.callbacks), FilterStatus.Continue);
  assert.equal(st.info.path, '/a/c');
  assert.equal(st.replies.length, 0);
});

test('security filters: escaped slashes with UNESCAPE_AND_REDIRECT answer a 307 direct reply to the unescaped path', () => {
  const st = stubStream({ path: '/a%2Fb', connectionManager: cm({ pathWithEscapedSlashesAction: 'UNESCAPE_AND_REDIRECT' }) });
  assert.equal(filter.decodeHeaders(st.info, st.callbacks), FilterStatus.Stop);
  const r = st.replies[0];
  assert.equal(r?.kind, 'direct');
  assert.deepEqual(r?.kind === 'direct' ? [r.status, r.location] : [], [307, '/a/b']);
});

test('security filters: escaped slashes with REJECT_REQUEST throw a 400 local reply', () => {
  const st = stubStream({ path: '/a%2fb', connectionManager: cm({ pathWithEscapedSlashesAction: 'REJECT_REQUEST' }) });
  assert.throws(() => filter.decodeHeaders(st.info, st.callbacks), (err: unknown) => err instanceof ProxyError && err.status === 400);
});
