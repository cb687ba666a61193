/**
 * Protobuf wire-format writing for the few places that assemble messages from already encoded
 * parts (ads-wire.ts, ads-route-encoding.ts): varints and length-delimited fields.
 */

/** Wire type of length-delimited fields (strings, bytes, embedded messages). */
export const WIRE_LEN = 2;

/** Bytes a non-negative integer takes as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` as a varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Size of a length-delimited field (tag + length + payload) whose payload is `len` bytes. */
export function lenFieldSize(field: number, len: number): number {
  return varintSize((field << 3) | WIRE_LEN) + varintSize(len) + len;
}

/** Writes field `field` with `payload` as a length-delimited field at `pos`; returns the position after it. */
export function writeLenField(buf: Buffer, pos: number, field: number, payload: Uint8Array): number {
  pos = writeVarint(buf, pos, (field << 3) | WIRE_LEN);
  pos = writeVarint(buf, pos, payload.length);
  buf.set(payload, pos);
  return pos + payload.length;
}
