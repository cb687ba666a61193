/**
 * Reads a TLS ClientHello without terminating TLS (what Envoy's tls_inspector does): the server
 * name (SNI) and the ALPN protocols a client offers, from the bytes received so far. The hello may
 * span several TLS records; parsing stops at {@link MAX_HELLO_BYTES}.
 */

/** Largest ClientHello read (bytes); larger ones are treated as not TLS. */
export const MAX_HELLO_BYTES = 64 * 1024;

/** The outcome of inspecting the first bytes of a connection. */
export type HelloResult =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'hello'; readonly serverName?: string; readonly alpn: readonly string[] };

const NEED_MORE: HelloResult = { kind: 'need-more' };
const NOT_TLS: HelloResult = { kind: 'not-tls' };

/** Inspects `data` (everything received so far on a connection). */
export function inspectClientHello(data: Buffer): HelloResult {
  if (data.length === 0) return NEED_MORE;
  if (data[0] !== 0x16) return NOT_TLS;
  // Reassemble the handshake message from consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let off = 0;
  let want = -1;
  while (want < 0 || have < want) {
    if (off + 5 > data.length) return data.length > MAX_HELLO_BYTES ? NOT_TLS : NEED_MORE;
    if (data[off] !== 0x16 || data[off + 1] !== 0x03) return NOT_TLS;
    const len = data.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) return NOT_TLS;
    if (off + 5 + len > data.length) return data.length > MAX_HELLO_BYTES ? NOT_TLS : NEED_MORE;
    parts.push(data.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (want < 0 && have >= 4) {
      const hs = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (hs[0] !== 0x01) return NOT_TLS;
      want = 4 + hs.readUIntBE(1, 3);
      if (want > MAX_HELLO_BYTES) return NOT_TLS;
    }
  }
  const hs = Buffer.concat(parts).subarray(4, want);
  return parseHelloBody(hs) ?? NOT_TLS;
}

function parseHelloBody(b: Buffer): HelloResult | undefined {
  let p = 2 + 32; // client_version, random
  if (p + 1 > b.length) return undefined;
  p += 1 + b[p]!; // session_id
  if (p + 2 > b.length) return undefined;
  p += 2 + b.readUInt16BE(p); // cipher_suites
  if (p + 1 > b.length) return undefined;
  p += 1 + b[p]!; // compression_methods
  let serverName: string | undefined;
  const alpn: string[] = [];
  if (p + 2 > b.length) return p === b.length ? { kind: 'hello', alpn } : undefined;
  const end = p + 2 + b.readUInt16BE(p);
  if (end > b.length) return undefined;
  p += 2;
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const ext = b.subarray(p + 4, p + 4 + len);
    if (p + 4 + len > end) return undefined;
    if (type === 0) serverName = parseSni(ext);
    else if (type === 16) parseAlpn(ext, alpn);
    p += 4 + len;
  }
  return { kind: 'hello', ...(serverName !== undefined ? { serverName } : {}), alpn };
}

function parseSni(ext: Buffer): string | undefined {
  if (ext.length < 2) return undefined;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let p = 2;
  while (p + 3 <= end) {
    const type = ext[p]!;
    const len = ext.readUInt16BE(p + 1);
    if (p + 3 + len > end) return undefined;
    if (type === 0) return ext.toString('latin1', p + 3, p + 3 + len).toLowerCase();
    p += 3 + len;
  }
  return undefined;
}

function parseAlpn(ext: Buffer, out: string[]): void {
  if (ext.length < 2) return;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let p = 2;
  while (p + 1 <= end) {
    const len = ext[p]!;
    if (p + 1 + len > end) return;
    out.push(ext.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
}
