/**
 * Unit tests of the access log pieces: Envoy command operators in Istio's default text format
 * (every field), typed JSON output, response flags of every proxy-generated reply, START_TIME
 * formats, truncation, config errors; the CEL filter subset; and the buffered file sink (lines
 * written off the request path, drops counted when the backlog is full).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AccessLogEntry } from '../../src/proxy/access-log/entry.js';
import { FormatError, formatStartTime, jsonFormatter, textFormatter } from '../../src/proxy/access-log/format.js';
import { celAttributes, compileAccessLogs, AccessLogConfigError } from '../../src/proxy/access-log/access-logger.js';
import { compileCel, CelError } from '../../src/cel/cel.js';
import { FileSink, sinkStats } from '../../src/proxy/access-log/file-sink.js';
import { StatsStore } from '../../src/proxy/stats/stats-store.js';
import { ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT } from '../../src/translate/telemetry/log-formats.js';
import { LocalReply } from '../../src/proxy/http/local-reply.js';
import { TypeUrl } from '../../src/envoy/type-url.js';

const T0 = Date.UTC(2024, 4, 6, 7, 8, 9, 123);

function entry(over: Partial<AccessLogEntry> = {}, req: Record<string, string> = {}, resp: Record<string, string> = {}): AccessLogEntry {
  const headers = { 'user-agent': 'curl/8.0', 'x-request-id': 'rid-1', 'x-forwarded-for': '10.0.0.9', ...req };
  return {
    startTimeMs: T0, method: 'GET', path: '/v2/items?q=1', originalPath: '/items?q=1', protocol: 'HTTP/1.1', authority: 'reviews:9080', scheme: 'http',
    responseCode: 200, responseFlags: '-', responseCodeDetails: 'via_upstream', connectionTerminationDetails: undefined,
    upstreamTransportFailureReason: undefined, bytesReceived: 12, bytesSent: 345, durationMs: 7.9,
    requestHeader: (n) => (headers as Record<string, string>)[n], responseHeader: (n) => ({ 'x-envoy-upstream-service-time': '5', ...resp } as Record<string, string>)[n],
    requestHeaders: headers, upstreamHost: '10.1.2.3:9080', upstreamCluster: 'outbound|9080|v2|reviews.default.svc.cluster.local',
    upstreamLocalAddress: '10.1.0.1:40000', downstreamLocalAddress: '10.96.0.7:9080', downstreamRemoteAddress: '10.1.0.1:50000',
    requestedServerName: undefined, routeName: 'default', upstreamAttemptCount: 1, mtls: false, downstreamPeerUriSan: undefined, grpcStatus: undefined,
    ...over,
  };
}

test("Istio's default text format renders every field in order", () => {
  const line = textFormatter(ISTIO_TEXT_FORMAT).format(entry());
  assert.equal(line,
    '[2024-05-06T07:08:09.123Z] "GET /items?q=1 HTTP/1.1" 200 - via_upstream - "-" 12 345 7 5 "10.0.0.9" "curl/8.0" "rid-1" "reviews:9080" ' +
    '"10.1.2.3:9080" outbound|9080|v2|reviews.default.svc.cluster.local 10.1.0.1:40000 10.96.0.7:9080 10.1.0.1:50000 - default\n');
  // Without a rewrite, X-ENVOY-ORIGINAL-PATH?:PATH falls back to :path.
  assert.match(textFormatter('%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%').format(entry({ originalPath: undefined })), /^\/v2\/items\?q=1$/);
});

test('missing values are "-" in text and null in JSON; numbers stay numbers in JSON', () => {
  const e = entry({ upstreamHost: undefined, upstreamCluster: undefined, upstreamLocalAddress: undefined, routeName: undefined, responseCode: 0, responseFlags: 'DC', responseCodeDetails: 'downstream_remote_disconnect' }, {}, { 'x-envoy-upstream-service-time': undefined as unknown as string });
  const text = textFormatter(ISTIO_TEXT_FORMAT).format(e);
  assert.match(text, /" 0 DC downstream_remote_disconnect - "-" 12 345 7 - "10\.0\.0\.9"/);
  assert.match(text, /"-" - - 10\.96\.0\.7:9080 10\.1\.0\.1:50000 - -\n$/);
  const json = JSON.parse(jsonFormatter(ISTIO_JSON_FORMAT).format(e));
  assert.equal(json.response_code, 0);
  assert.equal(json.bytes_sent, 345);
  assert.equal(json.duration, 7);
  assert.equal(json.upstream_host, null);
  assert.equal(json.upstream_service_time, null);
  assert.equal(json.response_flags, 'DC');
  assert.equal(json.path, '/items?q=1');
  assert.deepEqual(Object.keys(json).sort(), Object.keys(ISTIO_JSON_FORMAT).sort());
  // A value mixing text and operators is a string.
  assert.deepEqual(JSON.parse(jsonFormatter({ s: 'code=%RESPONSE_CODE%', n: { inner: '%BYTES_RECEIVED%' } }).format(e)), { s: 'code=0', n: { inner: 12 } });
});

test("every proxy-generated reply's flag and details reach the log line", () => {
  const replies = [
    LocalReply.noRoute(), LocalReply.noHealthyUpstream(), LocalReply.connectFailure(), LocalReply.overflow(), LocalReply.upstreamTimeout(),
    LocalReply.faultAbort(503), LocalReply.upstreamReset(), LocalReply.noCluster('x'), LocalReply.streamIdleTimeout(), LocalReply.rbacDenied(),
  ];
  const f = textFormatter('%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\n');
  for (const r of replies) {
    assert.equal(f.format(entry({ responseCode: r.status, responseFlags: r.flag, responseCodeDetails: r.details })), `${r.status} ${r.flag} ${r.details}\n`);
  }
  assert.deepEqual(replies.map((r) => r.flag), ['NR', 'UH', 'UF', 'UO', 'UT', 'FI', 'UC', 'NC', 'SI', 'UAEX']);
  // Several flags at once (retries exhausted after connect failures, delay then abort), in Envoy's order.
  assert.equal(f.format(entry({ responseCode: 503, responseFlags: 'UF,URX', responseCodeDetails: 'x' })), '503 UF,URX x\n');
  assert.equal(f.format(entry({ responseCode: 503, responseFlags: 'DI,FI', responseCodeDetails: 'fault_filter_abort' })), '503 DI,FI fault_filter_abort\n');
});

test('operators: START_TIME formats, truncation, fallbacks, addresses, %% and errors', () => {
  assert.equal(formatStartTime(T0, '%Y/%m/%d %H:%M:%S.%3f %s'), `2024/05/06 07:08:09.123 ${Math.floor(T0 / 1000)}`);
  assert.equal(textFormatter('%START_TIME(%Y-%m-%dT%H:%M:%E3SZ)%').format(entry()), '2024-05-06T07:08:09.123Z');
  assert.equal(textFormatter('%REQ(USER-AGENT):4%|%REQ(X-NOPE?USER-AGENT)%|%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%|100%%').format(entry()), 'curl|curl/8.0|5|100%');
  assert.equal(textFormatter('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_PORT% %UPSTREAM_REQUEST_ATTEMPT_COUNT% %REQ(:AUTHORITY)% %REQ(:METHOD)%').format(entry()),
    '10.1.0.1 9080 1 reviews:9080 GET');
  assert.equal(textFormatter('%GRPC_STATUS% %GRPC_STATUS_NUMBER%').format(entry({ grpcStatus: '14' })), 'Unavailable 14');
  assert.throws(() => textFormatter('%NOT_AN_OPERATOR%'), FormatError);
  assert.throws(() => textFormatter('%START_TIME'), FormatError);
});

test('CEL subset: comparisons, headers, logic, functions; errors are false', () => {
  const ev = (expr: string, e = entry()) => compileCel(expr).evaluate(celAttributes(e));
  assert.equal(ev('response.code >= 400'), false);
  assert.equal(ev('response.code >= 400', entry({ responseCode: 503 })), true);
  assert.equal(ev("request.headers['user-agent'].startsWith('curl') && request.method == 'GET'"), true);
  assert.equal(ev("'x-request-id' in request.headers && !connection.mtls"), true);
  assert.equal(ev("request.url_path.contains('items') || response.code == 500"), true);
  assert.equal(ev("request.headers['absent'] == 'x'"), undefined, 'a missing key is an error');
  assert.equal(ev("request.headers['absent'] == 'x' || response.code == 200"), true, '|| absorbs an error when the other side is true');
  assert.equal(ev("has(request.headers.absent)"), false);
  assert.equal(ev("size(request.path) > 3 ? xds.cluster_name.endsWith('cluster.local') : false"), true);
  assert.equal(ev("request.host.matches('^rev.*:9080$') && int('42') == 42 && string(response.code) == '200'"), true);
  assert.equal(ev("response.flags_string == 'UF,URX'", entry({ responseFlags: 'UF,URX' })), true);
  assert.equal(ev('response.code + 1 == 201 && 10 / 4 == 2 && 1.5 < 2'), true);
  assert.throws(() => compileCel('response.code >='), CelError);
  assert.throws(() => compileCel('request.foo('), CelError);
  assert.throws(() => compileCel('bogus(1)'), CelError);
});

test('compileAccessLogs: file logger with text, JSON, default format and filters; bad configs are errors', () => {
  const file = (logFormat: Record<string, unknown> | undefined, filter?: Record<string, unknown>) => ({
    name: 'envoy.access_loggers.file', ...(filter ? { filter } : {}),
    typedConfig: { '@type': TypeUrl.FileAccessLog, path: '/tmp/x.log', ...(logFormat ? { logFormat } : {}) },
  });
  const [text] = compileAccessLogs([file({ textFormatSource: { inlineString: '%RESPONSE_CODE%\n' } })])!;
  assert.equal(text!.formatter.format(entry()), '200\n');
  const [json] = compileAccessLogs([file({ jsonFormat: { fields: { code: { stringValue: '%RESPONSE_CODE%' } } } })])!;
  assert.equal(json!.formatter.format(entry()), '{"code":200}\n');
  const [dflt] = compileAccessLogs([file(undefined)])!;
  assert.match(dflt!.formatter.format(entry()), /^\[2024-05-06T07:08:09\.123Z\] "GET \/items\?q=1 HTTP\/1\.1" 200 - 12 345 7 5 "10\.0\.0\.9" "curl\/8\.0" "rid-1" "reviews:9080" "10\.1\.2\.3:9080"\n$/);
  const [cel] = compileAccessLogs([file(undefined, { extensionFilter: { name: 'envoy.access_loggers.extension_filters.cel', typedConfig: { '@type': TypeUrl.CelAccessLogFilter, expression: 'response.code >= 400' } } })])!;
  assert.equal(cel!.filter!(entry()), false);
  assert.equal(cel!.filter!(entry({ responseCode: 404 })), true);
  const [sc] = compileAccessLogs([file(undefined, { statusCodeFilter: { comparison: { op: 'GE', value: { defaultValue: 500, runtimeKey: 'k' } } } })])!;
  assert.deepEqual([sc!.filter!(entry({ responseCode: 404 })), sc!.filter!(entry({ responseCode: 503 }))], [false, true]);
  const [rf] = compileAccessLogs([file(undefined, { responseFlagFilter: { flags: ['NR'] } })])!;
  assert.deepEqual([rf!.filter!(entry()), rf!.filter!(entry({ responseFlags: 'NR' }))], [false, true]);
  assert.throws(() => compileAccessLogs([file({ textFormatSource: { inlineString: '%WHAT%' } })]), AccessLogConfigError);
  assert.throws(() => compileAccessLogs([file(undefined, { extensionFilter: { name: 'cel', typedConfig: { '@type': TypeUrl.CelAccessLogFilter, expression: 'a ==' } } })]), AccessLogConfigError);
  assert.throws(() => compileAccessLogs([{ name: 'envoy.access_loggers.stdout', typedConfig: { '@type': 'type.googleapis.com/x.Y' } }]), AccessLogConfigError);
  assert.equal(compileAccessLogs([]), undefined);
});

test('file sink: writes asynchronously in order, drains, and drops with a counter when the backlog is full', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-sink-'));
  try {
    const store = new StatsStore();
    const stats = sinkStats(store);
    const sink = new FileSink(path.join(dir, 'a.log'), stats);
    for (let i = 0; i < 1000; i++) sink.write(`line ${i}\n`);
    assert.equal(stats.writeBuffered.value, 1000);
    await sink.drain();
    const lines = (await readFile(path.join(dir, 'a.log'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1000);
    assert.equal(lines[999], 'line 999');
    assert.ok(stats.writeCompleted.value >= 1);
    await sink.close();

    const small = new FileSink(path.join(dir, 'b.log'), stats, 64);
    for (let i = 0; i < 20; i++) small.write(`0123456789-${i}\n`);
    assert.ok(stats.writeDropped.value > 0, 'lines beyond the backlog limit are dropped, not queued');
    await small.close();
    const kept = (await readFile(path.join(dir, 'b.log'), 'utf8')).trim().split('\n');
    assert.equal(kept.length + stats.writeDropped.value, 20);
    assert.match(store.renderPrometheus(), /envoy_filesystem_write_dropped \d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
