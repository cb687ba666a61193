/**
 * Envoy's `tls_inspector` and `http_inspector` listener filters, run on a freshly accepted (or
 * freshly tunnelled) connection before its filter chain is chosen. They peek at the client's first
 * bytes and report, for filter-chain matching (src/envoy/filter-chain-matcher.ts):
 * - tls_inspector: a TLS ClientHello → transport `tls`, its SNI and ALPN; else `raw_buffer`;
 * - http_inspector (plaintext only): the HTTP/2 connection preface → ALPN `h2c`; an HTTP/1.x
 *   request line → `http/1.1` or `http/1.0`; anything else → no ALPN (opaque TCP).
 * As in Envoy, detection waits for as many bytes as it needs (a prefix of a preface or of a
 * request line waits for more), gives up on HTTP/1 after {@link MAX_HTTP_INSPECT_BYTES} without a
 * line end, and closes a connection whose client half-closes before they could decide (Envoy's
 * listener filter buffer does the same on a remote close). The wait is bounded by the
 * listener's `listener_filters_timeout` (istiod: mesh config `protocolDetectionTimeout`, default
 * 0s = no timeout, so a server-first protocol waits until the client speaks); on expiry the
 * connection goes on as opaque TCP when `continue_on_listener_filters_timeout` is set (istiod
 * sets it), else it is closed. The bytes read are put back (`unshift`) for the chosen chain.
 */
import type { Socket } from 'node:net';
import type { Listener } from '../../envoy/types.js';
import { durationMs } from '../../envoy/duration.js';
import { classify } from '../h2/preface-sniffer.js';
import { inspectClientHello } from '../tls/client-hello.js';

/** What the inspectors found (the ConnectionInfo fields they own). */
export interface InspectedProtocol {
  readonly transportProtocol: 'raw_buffer' | 'tls';
  readonly serverName?: string;
  readonly applicationProtocols: readonly string[];
}

/** Which inspectors a listener runs, and its timeout. */
export interface InspectorConfig {
  readonly tls: boolean;
  readonly http: boolean;
  /** 0 = wait without limit. */
  readonly timeoutMs: number;
  readonly continueOnTimeout: boolean;
}

/** Envoy's http_inspector reads at most this many bytes looking for a request line. */
export const MAX_HTTP_INSPECT_BYTES = 8192;

const TLS_NAMES = new Set(['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector']);
const HTTP_NAMES = new Set(['envoy.filters.listener.http_inspector', 'envoy.listener.http_inspector']);

/** The inspectors of `listener` (by filter name or type URL). */
export function listenerInspectors(listener: Listener): InspectorConfig {
  let tls = false;
  let http = false;
  for (const f of listener.listenerFilters ?? []) {
    const type = String(f.typedConfig?.['@type'] ?? '');
    if (TLS_NAMES.has(f.name ?? '') || type.endsWith('.TlsInspector')) tls = true;
    if (HTTP_NAMES.has(f.name ?? '') || type.endsWith('.HttpInspector')) http = true;
  }
  return { tls, http, timeoutMs: durationMs(listener.listenerFiltersTimeout) ?? 0, continueOnTimeout: listener.continueOnListenerFiltersTimeout === true };
}

const METHOD_CHAR = /^[!#$%&'*+.^_`|~0-9A-Za-z-]$/;
const VERSION = 'HTTP/1.';

/** http_inspector on plaintext bytes: an ALPN value, `none` (not HTTP) or undefined (need more). */
export function inspectHttp(data: Buffer, final = false): 'http/1.1' | 'http/1.0' | 'h2c' | 'none' | undefined {
  const h2 = classify(data);
  if (h2 === 'h2') return 'h2c';
  if (h2 === undefined) return final ? 'none' : undefined;
  const limit = Math.min(data.length, MAX_HTTP_INSPECT_BYTES);
  const text = data.toString('latin1', 0, limit);
  const eol = text.indexOf('\n');
  const line = eol >= 0 ? text.slice(0, eol).replace(/\r$/, '') : text;
  // Method token, SP, request-target (no spaces), SP, HTTP/1.x — checked as far as bytes go.
  const sp1 = line.indexOf(' ');
  const method = sp1 >= 0 ? line.slice(0, sp1) : line;
  for (const c of method) if (!METHOD_CHAR.test(c)) return 'none';
  const complete = eol >= 0;
  const undecided = (): undefined | 'none' => (complete || final || limit >= MAX_HTTP_INSPECT_BYTES ? 'none' : undefined);
  if (sp1 <= 0) return undecided();
  const rest = line.slice(sp1 + 1);
  const sp2 = rest.indexOf(' ');
  if (sp2 < 0) return undecided();
  if (sp2 === 0) return 'none';
  const version = rest.slice(sp2 + 1);
  if (!complete) {
    const n = Math.min(version.length, VERSION.length);
    if (version.slice(0, n) !== VERSION.slice(0, n)) return 'none';
    return undecided();
  }
  if (version === 'HTTP/1.1') return 'http/1.1';
  if (version === 'HTTP/1.0') return 'http/1.0';
  return 'none';
}

/** Classifies the bytes seen so far; undefined = wait for more. */
export function inspectBytes(data: Buffer, cfg: Pick<InspectorConfig, 'tls' | 'http'>, final = false): InspectedProtocol | undefined {
  if (cfg.tls && data.length > 0 && data[0] === 0x16) {
    const hello = inspectClientHello(data);
    if (hello.kind === 'hello') return { transportProtocol: 'tls', ...(hello.serverName ? { serverName: hello.serverName } : {}), applicationProtocols: hello.alpn };
    if (hello.kind === 'need-more' && !final) return undefined;
  }
  if (!cfg.http) return RAW;
  const alpn = inspectHttp(data, final);
  if (alpn === undefined) return undefined;
  return alpn === 'none' ? RAW : { transportProtocol: 'raw_buffer', applicationProtocols: [alpn] };
}

const RAW: InspectedProtocol = Object.freeze({ transportProtocol: 'raw_buffer' as const, applicationProtocols: Object.freeze([]) as readonly string[] });

/**
 * Runs the inspectors on `socket` and calls `done` once with the result (bytes put back, socket
 * paused), or with undefined when the connection closed or timed out without continuing (the
 * socket is then destroyed).
 */
export function inspectConnection(socket: Socket, cfg: InspectorConfig, done: (p: InspectedProtocol | undefined) => void): void {
  if (!cfg.tls && !cfg.http) {
    done(RAW);
    return;
  }
  let seen: Buffer = Buffer.alloc(0);
  let finished = false;
  const timer = cfg.timeoutMs > 0 ? setTimeout(() => finish(cfg.continueOnTimeout ? (inspectBytes(seen, cfg, true) ?? RAW) : undefined), cfg.timeoutMs) : undefined;
  function finish(p: InspectedProtocol | undefined): void {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    socket.pause();
    if (p === undefined) {
      socket.destroy();
      done(undefined);
      return;
    }
    if (seen.length > 0) socket.unshift(seen);
    done(p);
  }
  function onData(chunk: Buffer): void {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const p = inspectBytes(seen, cfg);
    if (p !== undefined) finish(p);
  }
  // Envoy closes a connection whose peer closes while listener filters still wait for bytes
  // (ListenerFilterBufferImpl: remote close during inspection); so does Weft.
  function onEnd(): void {
    finish(undefined);
  }
  function onClose(): void {
    finish(undefined);
  }
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onClose);
  socket.resume();
}
