/**
 * A DiscoveryRequest decoder for the server's hot path. Envoy repeats every subscribed name in
 * each EDS/RDS ACK (state of the world), so 2,000 proxies × 1,000 clusters means two million
 * names per push round. This decoder reads the top-level fields by hand, keeps the raw bytes of
 * `resource_names` as a comparison key and decodes the names only when asked, so an ACK whose
 * names did not change costs one memcmp instead of a thousand string decodes and hash lookups.
 * `node` and `error_detail` are decoded with protobufjs as usual.
 */
import type protobuf from 'protobufjs';
import { envoyRoot, OBJECT_OPTIONS } from './protos.js';
import { AdsError, AdsErrorCode } from './ads-errors.js';
import type { DiscoveryRequestMessage, RpcStatusMessage } from './discovery-service.js';
import type { NodeMessage } from './node-info.js';

/** A decoded request plus the raw bytes of its `resource_names` entries (empty when none). */
export interface FastDiscoveryRequest extends DiscoveryRequestMessage {
  /** Raw encoding of all `resource_names` entries, in order: equal keys mean equal name lists. */
  readonly resourceNamesKey: Buffer;
}

let nodeType: protobuf.Type | undefined;
let statusType: protobuf.Type | undefined;

function readVarint(buf: Buffer, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
    if (mul > 2 ** 63) throw new Error('varint too long');
  }
}

/** Decodes DiscoveryRequest bytes; `resourceNames` is decoded lazily on first access. */
export function decodeRequestFast(buf: Buffer): FastDiscoveryRequest {
  const out: Record<string, unknown> = {};
  const nameRanges: [number, number][] = [];
  let pos = 0;
  try {
    while (pos < buf.length) {
      let tag: number;
      [tag, pos] = readVarint(buf, pos);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) {
        [, pos] = readVarint(buf, pos);
        continue;
      }
      if (wire === 1 || wire === 5) {
        pos += wire === 1 ? 8 : 4;
        continue;
      }
      if (wire !== 2) throw new Error(`unsupported wire type ${wire}`);
      const start = pos;
      let len: number;
      [len, pos] = readVarint(buf, pos);
      const end = pos + len;
      if (end > buf.length) throw new Error('truncated field');
      switch (field) {
        case 1:
          out['versionInfo'] = buf.toString('utf8', pos, end);
          break;
        case 2: {
          nodeType ??= envoyRoot().lookupType('envoy.config.core.v3.Node');
          out['node'] = nodeType.toObject(nodeType.decode(buf.subarray(pos, end)), OBJECT_OPTIONS) as NodeMessage;
          break;
        }
        case 3:
          nameRanges.push([start - varintLength(tag), end]);
          break;
        case 4:
          out['typeUrl'] = buf.toString('utf8', pos, end);
          break;
        case 5:
          out['responseNonce'] = buf.toString('utf8', pos, end);
          break;
        case 6: {
          statusType ??= envoyRoot().lookupType('google.rpc.Status');
          out['errorDetail'] = statusType.toObject(statusType.decode(buf.subarray(pos, end)), OBJECT_OPTIONS) as RpcStatusMessage;
          break;
        }
        default:
          break;
      }
      pos = end;
    }
  } catch (cause) {
    throw new AdsError(AdsErrorCode.Decode, `DiscoveryRequest: ${(cause as Error).message}`, { cause });
  }
  const key = nameRanges.length === 0
    ? Buffer.alloc(0)
    : isContiguous(nameRanges)
      ? buf.subarray(nameRanges[0]![0], nameRanges.at(-1)![1])
      : Buffer.concat(nameRanges.map(([s, e]) => buf.subarray(s, e)));
  Object.defineProperty(out, 'resourceNamesKey', { value: key, enumerable: false });
  let names: string[] | undefined;
  Object.defineProperty(out, 'resourceNames', {
    enumerable: true,
    get: () => (names ??= decodeNames(buf, nameRanges)),
  });
  return out as unknown as FastDiscoveryRequest;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function isContiguous(ranges: readonly [number, number][]): boolean {
  for (let i = 1; i < ranges.length; i++) if (ranges[i]![0] !== ranges[i - 1]![1]) return false;
  return true;
}

function decodeNames(buf: Buffer, ranges: readonly [number, number][]): string[] {
  return ranges.map(([start, end]) => {
    let pos = start;
    [, pos] = readVarint(buf, pos);
    [, pos] = readVarint(buf, pos);
    return buf.toString('utf8', pos, end);
  });
}
