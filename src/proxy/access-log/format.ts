/**
 * Envoy's access log format strings: `%COMMAND%` operators (`%START_TIME%`,
 * `%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`, `%RESPONSE_FLAGS%`, `%REQ(USER-AGENT):10%` …) compiled once
 * into a list of parts, then rendered per request as text (a missing value is `-`) or as a JSON
 * object (`jsonFormat`: a value that is exactly one operator keeps its type, so `response_code` is a
 * number and a missing value is `null`, as Envoy's typed JSON logs). Unknown operators are a config
 * error ({@link FormatError}), as Envoy rejects them.
 */
import os from 'node:os';
import type { AccessLogEntry } from './entry.js';
import { WeftError } from '../../util/weft-error.js';

/** A format string or JSON format that cannot be compiled. */
export class FormatError extends WeftError {
  readonly code = 'ACCESS_LOG_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

type Value = string | number | undefined;
type Operator = (e: AccessLogEntry) => Value;
type Part = string | Operator;

/** A compiled format: text lines or JSON objects. */
export interface LogFormatter {
  /** One log line, newline included when the format has one (text) or always (JSON). */
  format(e: AccessLogEntry): string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats a time as Envoy's START_TIME does (UTC): default ISO 8601 with milliseconds. */
export function formatStartTime(ms: number, fmt: string | undefined): string {
  const d = new Date(Math.floor(ms));
  if (fmt === undefined || fmt === '') return d.toISOString();
  const frac = (digits: number) => {
    const ns = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6);
    return String(ns).padStart(9, '0').slice(0, digits);
  };
  return fmt.replace(/%(E?\d?[A-Za-z%])/g, (_m, spec: string) => {
    switch (spec) {
      case 'Y': return String(d.getUTCFullYear());
      case 'm': return pad(d.getUTCMonth() + 1);
      case 'd': return pad(d.getUTCDate());
      case 'H': return pad(d.getUTCHours());
      case 'M': return pad(d.getUTCMinutes());
      case 'S': return pad(d.getUTCSeconds());
      case 's': return String(Math.floor(ms / 1000));
      case 'f': return frac(9);
      case '3f': return frac(3);
      case '6f': return frac(6);
      case '9f': return frac(9);
      case 'E3S': return `${pad(d.getUTCSeconds())}.${frac(3)}`;
      case 'E6S': return `${pad(d.getUTCSeconds())}.${frac(6)}`;
      case 'z': return '+0000';
      case 'Z': return 'UTC';
      case 'j': return pad(Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 0)) / 86_400_000), 3);
      case '%': return '%';
      default: return `%${spec}`;
    }
  });
}

function truncate(op: Operator, max: number | undefined): Operator {
  if (max === undefined) return op;
  return (e) => {
    const v = op(e);
    return typeof v === 'string' && v.length > max ? v.slice(0, max) : v;
  };
}

/** A header operator: `X?Y` falls back to Y when X is absent; pseudo-headers map to request facts. */
function headerOperator(arg: string, side: 'req' | 'resp'): Operator {
  const [a, b] = arg.split('?').map((h) => h.trim().toLowerCase());
  if (!a) throw new FormatError(`${side === 'req' ? 'REQ' : 'RESP'}() needs a header name`);
  const one = (h: string): Operator => {
    if (side === 'resp') return (e) => e.responseHeader(h);
    switch (h) {
      case ':method': return (e) => e.method;
      case ':path': return (e) => e.path;
      case ':authority':
      case 'host': return (e) => e.authority;
      case ':scheme': return (e) => e.scheme;
      case 'x-envoy-original-path': return (e) => e.originalPath;
      default: return (e) => e.requestHeader(h);
    }
  };
  const first = one(a);
  if (b === undefined || b === '') return first;
  const second = one(b);
  return (e) => first(e) ?? second(e);
}

const GRPC_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

const withoutPort = (v: string | undefined): string | undefined => {
  if (v === undefined) return undefined;
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']'));
  const i = v.lastIndexOf(':');
  return i >= 0 ? v.slice(0, i) : v;
};
const portOf = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v.slice(v.lastIndexOf(':') + 1));
  return Number.isInteger(n) ? n : undefined;
};

/** Operators without arguments. */
const SIMPLE: Readonly<Record<string, Operator>> = {
  PROTOCOL: (e) => e.protocol,
  RESPONSE_CODE: (e) => e.responseCode,
  RESPONSE_FLAGS: (e) => e.responseFlags,
  RESPONSE_CODE_DETAILS: (e) => e.responseCodeDetails,
  CONNECTION_TERMINATION_DETAILS: (e) => e.connectionTerminationDetails,
  UPSTREAM_TRANSPORT_FAILURE_REASON: (e) => e.upstreamTransportFailureReason,
  BYTES_RECEIVED: (e) => e.bytesReceived,
  BYTES_SENT: (e) => e.bytesSent,
  DURATION: (e) => Math.floor(e.durationMs),
  UPSTREAM_HOST: (e) => e.upstreamHost,
  UPSTREAM_CLUSTER: (e) => e.upstreamCluster,
  UPSTREAM_CLUSTER_RAW: (e) => e.upstreamCluster,
  UPSTREAM_LOCAL_ADDRESS: (e) => e.upstreamLocalAddress,
  UPSTREAM_REMOTE_ADDRESS: (e) => e.upstreamHost,
  DOWNSTREAM_LOCAL_ADDRESS: (e) => e.downstreamLocalAddress,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamLocalAddress),
  DOWNSTREAM_LOCAL_PORT: (e) => portOf(e.downstreamLocalAddress),
  DOWNSTREAM_REMOTE_ADDRESS: (e) => e.downstreamRemoteAddress,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamRemoteAddress),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (e) => e.downstreamRemoteAddress,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (e) => withoutPort(e.downstreamRemoteAddress),
  DOWNSTREAM_PEER_URI_SAN: (e) => e.downstreamPeerUriSan,
  REQUESTED_SERVER_NAME: (e) => e.requestedServerName,
  ROUTE_NAME: (e) => e.routeName,
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (e) => e.upstreamAttemptCount,
  GRPC_STATUS: (e) => (e.grpcStatus === undefined ? undefined : GRPC_NAMES[Number(e.grpcStatus)] ?? e.grpcStatus),
  GRPC_STATUS_NUMBER: (e) => (e.grpcStatus === undefined ? undefined : Number(e.grpcStatus)),
  HOSTNAME: () => os.hostname(),
  REQUEST_ID: (e) => e.requestHeader('x-request-id'),
};

/** Compiles one operator body (between the `%`s). */
function operator(body: string): Operator {
  const m = /^([A-Z0-9_]+)(?:\((.*)\))?(?::(\d+))?$/.exec(body);
  if (!m) throw new FormatError(`invalid command operator %${body}%`);
  const [, name, arg, len] = m as unknown as [string, string, string | undefined, string | undefined];
  const max = len !== undefined ? Number(len) : undefined;
  switch (name) {
    case 'START_TIME': {
      const fmt = arg;
      return (e) => formatStartTime(e.startTimeMs, fmt);
    }
    case 'REQ':
      return truncate(headerOperator(arg ?? '', 'req'), max);
    case 'RESP':
      return truncate(headerOperator(arg ?? '', 'resp'), max);
    case 'TRAILER':
      return () => undefined;
    case 'REQ_WITHOUT_QUERY': {
      const op = headerOperator(arg ?? '', 'req');
      return truncate((e) => {
        const v = op(e);
        return typeof v === 'string' ? v.split('?')[0] : v;
      }, max);
    }
    default: {
      const op = SIMPLE[name];
      if (op === undefined || arg !== undefined) throw new FormatError(`unknown command operator %${body}%`);
      return truncate(op, max);
    }
  }
}

/** Splits a format string into literal text and operators. */
export function compileParts(format: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    // An operator may contain `%` inside START_TIME(...) — find the closing `%` after any parentheses.
    let j = i + 1;
    let depth = 0;
    while (j < format.length && (format[j] !== '%' || depth > 0)) {
      if (format[j] === '(') depth++;
      else if (format[j] === ')') depth--;
      j++;
    }
    if (j >= format.length) throw new FormatError(`unterminated command operator at offset ${i}`);
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push(operator(format.slice(i + 1, j)));
    i = j + 1;
  }
  if (lit !== '') parts.push(lit);
  return parts;
}

function renderText(parts: readonly Part[], e: AccessLogEntry): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = p(e);
      out += v === undefined || v === '' ? '-' : String(v);
    }
  }
  return out;
}

/** A text formatter (Envoy's `textFormatSource.inlineString` / `textFormat`). */
export function textFormatter(format: string): LogFormatter {
  const parts = compileParts(format);
  return { format: (e) => renderText(parts, e) };
}

/** A JSON format value: a format string, or a nested object of them. */
export type JsonFormatSpec = { readonly [key: string]: string | number | boolean | JsonFormatSpec };

type JsonPart = { readonly key: string; readonly parts?: Part[]; readonly literal?: number | boolean; readonly nested?: JsonPart[] };

function compileJson(spec: JsonFormatSpec): JsonPart[] {
  return Object.keys(spec).map((key) => {
    const v = spec[key]!;
    if (typeof v === 'string') return { key, parts: compileParts(v) };
    if (typeof v === 'object') return { key, nested: compileJson(v) };
    return { key, literal: v };
  });
}

function renderJson(parts: readonly JsonPart[], e: AccessLogEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parts) {
    if (p.nested) out[p.key] = renderJson(p.nested, e);
    else if (p.literal !== undefined) out[p.key] = p.literal;
    else {
      const ps = p.parts!;
      if (ps.length === 1 && typeof ps[0] !== 'string') {
        const v = ps[0]!(e);
        out[p.key] = v === undefined || v === '' ? null : v;
      } else out[p.key] = renderText(ps, e);
    }
  }
  return out;
}

/** A JSON formatter (Envoy's `jsonFormat`): one JSON object per line. */
export function jsonFormatter(spec: JsonFormatSpec): LogFormatter {
  const parts = compileJson(spec);
  return { format: (e) => `${JSON.stringify(renderJson(parts, e))}\n` };
}
