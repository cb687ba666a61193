import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResetReason } from '../../envoy/retry-policy.js';
import { CONNECT_TIMEOUT_CODE } from '../upstream/connect-timeout.js';
import { UPSTREAM_TLS_FAILURE_CODE } from '../tls/upstream-connector.js';
import { H2_REFUSED_STREAM_CODE, H2_STREAM_RESET_CODE } from '../h2/h2-upstream-request.js';
import { UPSTREAM_PROTOCOL_ERROR_CODE } from '../h1/response-parser.js';
import { classifyUpstreamError, failureReply, isStaleConnectionError } from './upstream-reset.js';

const { ConnectFailure, Reset, RefusedStream } = ResetReason;

// code → reset reason, flag, counts in upstream_cx_connect_fail, outlier event
const TABLE: [string | undefined, ResetReason, string, boolean, string][] = [
  ['ECONNREFUSED', ConnectFailure, 'UF', true, 'connect'],
  ['EHOSTUNREACH', ConnectFailure, 'UF', true, 'connect'],
  ['ENETUNREACH', ConnectFailure, 'UF', true, 'connect'],
  ['ENOTFOUND', ConnectFailure, 'UF', true, 'connect'],
  ['EAI_AGAIN', ConnectFailure, 'UF', true, 'connect'],
  ['EADDRNOTAVAIL', ConnectFailure, 'UF', true, 'connect'],
  ['ETIMEDOUT', ConnectFailure, 'UF', true, 'connect'],
  [UPSTREAM_TLS_FAILURE_CODE, ConnectFailure, 'UF', true, 'connect'],
  [CONNECT_TIMEOUT_CODE, ConnectFailure, 'UF', false, 'connect'],
  [H2_REFUSED_STREAM_CODE, RefusedStream, 'UC', false, 'reset'],
  [H2_STREAM_RESET_CODE, Reset, 'UC', false, 'reset'],
  [UPSTREAM_PROTOCOL_ERROR_CODE, Reset, 'UPE', false, 'reset'],
  ['HPE_INVALID_CONSTANT', Reset, 'UPE', false, 'reset'],
  ['ECONNRESET', Reset, 'UC', false, 'reset'],
  ['EPIPE', Reset, 'UC', false, 'reset'],
  ['ERR_HTTP2_STREAM_ERROR', Reset, 'UC', false, 'reset'],
  [undefined, Reset, 'UC', false, 'reset'],
];

test('upstream errors map to Envoy reset reasons, response flags, connect-fail counting and outlier events', () => {
  for (const [code, reason, flag, counts, outlier] of TABLE) {
    const f = classifyUpstreamError(code);
    assert.deepEqual([f.reason, f.flag, f.countsConnectFail, f.outlierEvent], [reason, flag, counts, outlier], String(code));
  }
});

test('local replies: flag and wording follow the failure and whether it was retried', () => {
  const cases: [string | undefined, boolean, string, number, RegExp][] = [
    ['ECONNREFUSED', false, 'UF', 503, /reset reason: connection failure/],
    ['ECONNREFUSED', true, 'UF', 503, /retried and the latest reset reason: connection failure/],
    ['ECONNRESET', false, 'UC', 503, /reset reason: connection termination/],
    ['ECONNRESET', true, 'UC', 503, /retried and the latest reset reason: connection termination/],
    [UPSTREAM_PROTOCOL_ERROR_CODE, false, 'UPE', 503, /reset reason: protocol error/],
  ];
  for (const [code, retried, flag, status, body] of cases) {
    const r = failureReply(classifyUpstreamError(code), retried, undefined);
    assert.equal(r.flag, flag, String(code));
    assert.equal(r.status, status);
    assert.match(r.message, body);
  }
});

test('only ECONNRESET / EPIPE on a reused keep-alive connection is a stale connection', () => {
  assert.equal(isStaleConnectionError('ECONNRESET', true), true);
  assert.equal(isStaleConnectionError('EPIPE', true), true);
  assert.equal(isStaleConnectionError('ECONNRESET', false), false);
  assert.equal(isStaleConnectionError('ECONNREFUSED', true), false);
  assert.equal(isStaleConnectionError(undefined, true), false);
});
