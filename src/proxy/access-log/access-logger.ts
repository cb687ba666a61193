/**
 * The HTTP connection manager's `accessLog` list compiled for the proxy: each entry a file access
 * logger (`envoy.access_loggers.file`, FileAccessLog: path + text or JSON format, Envoy's default
 * format when none) with an optional filter (`extensionFilter` CEL expression as Istio's Telemetry
 * `filter.expression` produces, `statusCodeFilter`, `responseFlagFilter`, `and`/`or`/`not`-style
 * combinations). Compiled once per HCM config; an entry Weft cannot serve throws
 * {@link AccessLogConfigError} so the push is NACKed, as Envoy rejects it.
 *
 * At the end of each request {@link writeAccessLogs} builds the entry once, evaluates filters and
 * hands formatted lines to the buffered file sinks; nothing here blocks.
 */
import type { AccessLog } from '../../envoy/types.js';
import { fromStruct } from '../../xds/node-info.js';
import type { JsonValue } from '../../xds/node-info.js';
import type { StreamInfo } from '../http/stream-info.js';
import { CelError, compileCel, type CelObject, type CelResolver, type CelValue } from '../../cel/cel.js';
import type { AccessLogEntry } from './entry.js';
import { entryOf } from './entry.js';
import type { FileSinks } from './file-sink.js';
import { FormatError, jsonFormatter, textFormatter, type JsonFormatSpec, type LogFormatter } from './format.js';
import { WeftError } from '../../util/weft-error.js';

/** Envoy's default access log format (used when a FileAccessLog names no format). */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

const FILE_LOGGER_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const CEL_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';

/** An access log config the proxy cannot serve. */
export class AccessLogConfigError extends WeftError {
  readonly code = 'ACCESS_LOG_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessLogConfigError';
  }
}

/** Decides whether an entry is logged. */
export type EntryFilter = (e: AccessLogEntry) => boolean;

/** One compiled access logger. */
export interface AccessLogger {
  readonly path: string;
  readonly formatter: LogFormatter;
  readonly filter: EntryFilter | undefined;
}

const cache = new WeakMap<readonly AccessLog[], readonly AccessLogger[]>();

/** Compiles an HCM's `accessLog` list; undefined when it has none. Throws {@link AccessLogConfigError}. */
export function compileAccessLogs(list: readonly AccessLog[] | undefined): readonly AccessLogger[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  let out = cache.get(list);
  if (!out) {
    out = list.map((al, i) => compileOne(al, i));
    cache.set(list, out);
  }
  return out;
}

type Obj = Readonly<Record<string, unknown>>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null ? (v as Obj) : undefined);

function compileOne(al: AccessLog, i: number): AccessLogger {
  const cfg = obj(al.typedConfig);
  const type = cfg?.['@type'];
  if (type !== FILE_LOGGER_TYPE) throw new AccessLogConfigError(`access log ${al.name ?? i}: unsupported logger ${String(type ?? al.name)} (Weft serves envoy.access_loggers.file)`);
  const path = typeof cfg!['path'] === 'string' ? (cfg!['path'] as string) : '';
  if (path === '') throw new AccessLogConfigError(`access log ${al.name ?? i}: path is empty`);
  try {
    return { path, formatter: formatterOf(cfg!), filter: al.filter !== undefined ? compileFilter(al.filter) : undefined };
  } catch (err) {
    if (err instanceof FormatError || err instanceof CelError || err instanceof AccessLogConfigError) {
      throw new AccessLogConfigError(`access log ${al.name ?? i}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function structSpec(s: unknown): JsonFormatSpec {
  const plain = fromStruct(s as Parameters<typeof fromStruct>[0]);
  const conv = (o: Record<string, JsonValue>): JsonFormatSpec => {
    const out: Record<string, string | number | boolean | JsonFormatSpec> = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
      else if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = conv(v as Record<string, JsonValue>);
      else throw new AccessLogConfigError(`json format field ${k}: only strings, numbers, booleans and objects are supported`);
    }
    return out;
  };
  return conv(plain);
}

function formatterOf(cfg: Obj): LogFormatter {
  const lf = obj(cfg['logFormat']);
  if (lf) {
    if (lf['jsonFormat'] !== undefined) return jsonFormatter(structSpec(lf['jsonFormat']));
    const src = obj(lf['textFormatSource']);
    if (src) {
      if (typeof src['inlineString'] === 'string') return textFormatter(src['inlineString'] as string);
      throw new AccessLogConfigError('textFormatSource: only inlineString is supported');
    }
    if (typeof lf['textFormat'] === 'string') return textFormatter(lf['textFormat'] as string);
  }
  if (typeof cfg['format'] === 'string' && cfg['format'] !== '') return textFormatter(cfg['format'] as string);
  if (cfg['jsonFormat'] !== undefined) return jsonFormatter(structSpec(cfg['jsonFormat']));
  return textFormatter(ENVOY_DEFAULT_FORMAT);
}

function compileFilter(f: Obj): EntryFilter {
  const ext = obj(f['extensionFilter']);
  if (ext) {
    const tc = obj(ext['typedConfig']);
    if (tc?.['@type'] !== CEL_FILTER_TYPE || typeof tc['expression'] !== 'string') throw new AccessLogConfigError(`unsupported extension filter ${String(ext['name'])}`);
    const program = compileCel(tc['expression'] as string);
    return (e) => program.evaluate(celAttributes(e)) === true;
  }
  const sc = obj(f['statusCodeFilter']);
  if (sc) {
    const cmp = obj(sc['comparison']);
    const value = Number(obj(cmp?.['value'])?.['defaultValue'] ?? 0);
    const op = cmp?.['op'] ?? 'EQ';
    return op === 'GE' ? (e) => e.responseCode >= value : op === 'LE' ? (e) => e.responseCode <= value : (e) => e.responseCode === value;
  }
  const rf = obj(f['responseFlagFilter']);
  if (rf) {
    const flags = Array.isArray(rf['flags']) ? (rf['flags'] as string[]) : [];
    if (flags.length === 0) return (e) => e.responseFlags !== '-';
    return (e) => e.responseFlags.split(',').some((x) => flags.includes(x));
  }
  const and = obj(f['andFilter']);
  if (and) {
    const fs = ((and['filters'] as Obj[] | undefined) ?? []).map(compileFilter);
    return (e) => fs.every((x) => x(e));
  }
  const or = obj(f['orFilter']);
  if (or) {
    const fs = ((or['filters'] as Obj[] | undefined) ?? []).map(compileFilter);
    return (e) => fs.some((x) => x(e));
  }
  throw new AccessLogConfigError(`unsupported access log filter ${Object.keys(f).join(',')}`);
}

const fields = (get: (n: string) => CelValue): CelObject => ({ celField: get });

function headerMap(e: AccessLogEntry, side: 'req' | 'resp'): ReadonlyMap<string, CelValue> {
  const m = new Map<string, CelValue>();
  if (side === 'req') {
    for (const [k, v] of Object.entries(e.requestHeaders)) if (v !== undefined) m.set(k, Array.isArray(v) ? v.join(',') : v);
  } else {
    for (const k of ['content-type', 'content-length', 'x-envoy-upstream-service-time', 'grpc-status', 'location', 'server']) {
      const v = e.responseHeader(k);
      if (v !== undefined) m.set(k, v);
    }
  }
  return m;
}

const splitAddr = (a: string | undefined): [string | undefined, bigint | undefined] => {
  if (a === undefined) return [undefined, undefined];
  const i = a.lastIndexOf(':');
  return i < 0 ? [a, undefined] : [a.slice(0, i).replace(/^\[|\]$/g, ''), BigInt(a.slice(i + 1))];
};

/** Envoy's CEL attributes for one entry (request, response, connection, source, destination, upstream, xds). */
export function celAttributes(e: AccessLogEntry): CelResolver {
  return (name) => {
    switch (name) {
      case 'request':
        return fields((f) => {
          switch (f) {
            case 'path': return e.originalPath ?? e.path;
            case 'url_path': return (e.originalPath ?? e.path).split('?')[0];
            case 'host': return e.authority;
            case 'scheme': return e.scheme;
            case 'method': return e.method;
            case 'headers': return headerMap(e, 'req');
            case 'useragent': return e.requestHeader('user-agent');
            case 'id': return e.requestHeader('x-request-id');
            case 'protocol': return e.protocol;
            case 'referer': return e.requestHeader('referer');
            case 'size':
            case 'total_size': return BigInt(e.bytesReceived);
            case 'duration': return BigInt(Math.floor(e.durationMs));
            default: return undefined;
          }
        });
      case 'response':
        return fields((f) => {
          switch (f) {
            case 'code': return BigInt(e.responseCode);
            case 'code_details': return e.responseCodeDetails;
            case 'flags_string': return e.responseFlags;
            case 'grpc_status': return e.grpcStatus !== undefined ? BigInt(e.grpcStatus) : undefined;
            case 'headers': return headerMap(e, 'resp');
            case 'size':
            case 'total_size': return BigInt(e.bytesSent);
            default: return undefined;
          }
        });
      case 'connection':
        return fields((f) => {
          switch (f) {
            case 'mtls': return e.mtls;
            case 'requested_server_name': return e.requestedServerName ?? '';
            case 'uri_san_peer_certificate': return e.downstreamPeerUriSan;
            case 'termination_details': return e.connectionTerminationDetails;
            default: return undefined;
          }
        });
      case 'source':
      case 'destination':
      case 'upstream': {
        const [address, port] = splitAddr(name === 'source' ? e.downstreamRemoteAddress : name === 'destination' ? e.downstreamLocalAddress : e.upstreamHost);
        return fields((f) => (f === 'address' ? address : f === 'port' ? port : f === 'transport_failure_reason' ? e.upstreamTransportFailureReason : undefined));
      }
      case 'xds':
        return fields((f) => (f === 'cluster_name' ? e.upstreamCluster : f === 'route_name' ? e.routeName : undefined));
      default:
        return undefined;
    }
  };
}

/** Writes the access log lines of a finished stream (the HCM has at least one logger). */
export function writeAccessLogs(s: StreamInfo, loggers: readonly AccessLogger[], sinks: FileSinks, endMs: number, wireReceived: number, wireSent: number): void {
  const e = entryOf(s, endMs, wireReceived, wireSent);
  for (const l of loggers) {
    if (l.filter !== undefined) {
      let pass = false;
      try {
        pass = l.filter(e);
      } catch {
        pass = false;
      }
      if (!pass) continue;
    }
    sinks.get(l.path).write(l.formatter.format(e));
  }
}
