/**
 * Seeded generator of HTTP/1.1 request streams for the differential test: well-formed requests
 * (methods, target forms, versions, header fields with odd whitespace and obs-text, Content-Length
 * and chunked bodies with extensions and trailers, keep-alive / close / upgrade / CONNECT /
 * `Expect: 100-continue`, pipelined messages), and mutations of them (bytes flipped, inserted,
 * deleted, truncated; smuggling header lines spliced in; chunk sizes rewritten). The same seed gives
 * the same bytes. Test support (fuzz/), not used by the proxy.
 */

/** A small, fast, seeded PRNG (xorshift32). */
export class Rng {
  private x: number;
  constructor(seed: number) {
    this.x = (seed >>> 0) || 0x9e3779b9;
  }
  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** The seed of case `index` of a run seeded `seed` (so one case can be replayed alone). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const COMMON_METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH'];
const OTHER_METHODS = ['CONNECT', 'TRACE', 'PROPFIND', 'M-SEARCH', 'PURGE', 'QUERY', 'SOURCE', 'PRI', 'FOO', 'get', 'G@T', 'GET\t'];
const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@%/?#"<>\\^`{|}[]';
const NAME_POOL = ['Accept', 'User-Agent', 'X-Request-Id', 'Cookie', 'x-forwarded-for', 'Authorization', 'X-A', 'x-a', 'Content-Type', 'TE', 'Via', 'Cache-Control', 'X_Under', 'x-envoy-original-path', 'Trailer', 'Keep-Alive'];
const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VALUE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789 \t,;=/"()<>@:[]?{}\\-_.~!#$%&\'*+^`|';
const INTERESTING = ['\r', '\n', '\0', ' ', '\t', ':', ',', ';', '"', '\x7f', '\x80', '\xff', 'a', '0', '/', '\x01', '\x0b', '\x0c', '\r\n', '\n\n', '\r\n\r\n'];
/** Header lines request-smuggling write-ups use (CL.TE, TE.CL, TE.TE obfuscation, header injection). */
export const SMUGGLING_LINES = [
  'Content-Length: 5', 'Content-Length: 0', 'Content-Length: 05', 'Content-Length: 5, 5', 'Content-Length: +5', 'Content-Length: -1',
  'Content-Length: 1e2', 'Content-Length: 0x5', 'Content-Length:5', 'Content-Length : 5', 'Content-Length: 99999999999999999999',
  'Transfer-Encoding: chunked', 'Transfer-Encoding: Chunked', 'Transfer-Encoding : chunked', 'Transfer-Encoding:\tchunked',
  'Transfer-Encoding: xchunked', 'Transfer-Encoding: chunked, identity', 'Transfer-Encoding: identity, chunked', 'Transfer-Encoding: chunked ',
  ' Transfer-Encoding: chunked', 'Transfer-Encoding\t: chunked', 'Transfer-Encoding: "chunked"', 'Transfer-Encoding: chunk', 'X: y\nTransfer-Encoding: chunked',
  'Transfer-Encoding: \x0bchunked', 'Transfer_Encoding: chunked', 'Host: evil', 'host: a', 'Connection: close', 'Connection: keep-alive, close',
  'Connection: Upgrade', 'Upgrade: websocket', 'Expect: 100-continue', 'X-A: b\rc', 'X-A: b\0c', 'X-A:\r\n folded', 'Connection: upgrade, keep-alive',
];

function str(rng: Rng, chars: string, min: number, max: number): string {
  const n = min + rng.int(max - min + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += chars[rng.int(chars.length)];
  return s;
}

function target(rng: Rng, method: string): string {
  if (method === 'CONNECT') return rng.chance(0.8) ? `${rng.pick(['example.com', 'a', '10.0.0.1', '[::1]', 'h-b.c'])}:${rng.pick(['443', '80', '1', '65535', '0'])}` : '/x';
  if (method === 'OPTIONS' && rng.chance(0.3)) return '*';
  const r = rng.int(20);
  if (r === 0) return `http://${rng.pick(['a', 'example.com', 'a.b:8080', '127.0.0.1:80', 'u@h', '[::1]:1'])}${rng.chance(0.8) ? `/${str(rng, PATH_CHARS, 0, 12)}` : ''}`;
  if (r === 1) return `HTTPS://h${rng.chance(0.5) ? '?q' : '/'}`;
  if (r === 2) return '*';
  return `/${str(rng, PATH_CHARS, 0, rng.chance(0.05) ? 200 : 24)}`;
}

function ows(rng: Rng): string {
  return rng.chance(0.8) ? '' : rng.pick([' ', '  ', '\t', ' \t']);
}

function body(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.9) ? 32 + rng.int(95) : rng.int(256));
  return s;
}

function chunkExt(rng: Rng): string {
  if (rng.chance(0.8)) return '';
  return rng.pick([';a', ';a=b', ';name="v a l"', ';a=b;c', ';x="q\\"t"', '; a', ';a =b', ';=b', ';a="', ';\x01']);
}

/** One well-formed-looking request (its choices include a few invalid methods, versions and targets). */
function request(rng: Rng, last: boolean): string {
  const method = rng.chance(0.9) ? rng.pick(COMMON_METHODS) : rng.pick(OTHER_METHODS);
  const minor = rng.chance(0.9) ? '1' : rng.pick(['0', '0', '2']);
  const version = rng.chance(0.98) ? `HTTP/1.${minor}` : rng.pick(['HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1', 'HTTP/0.9']);
  const lines = [`${method} ${target(rng, method)} ${version}`];
  if (rng.chance(0.98)) lines.push(`${rng.pick(['Host', 'host', 'HOST'])}:${ows(rng)}${rng.pick(['example.com', 'a', 'a:8080', 'httpbin.default.svc.cluster.local', ''])}${ows(rng)}`);
  const extra = rng.chance(0.02) ? 40 + rng.int(80) : rng.int(6);
  for (let i = 0; i < extra; i++) {
    const name = rng.chance(0.7) ? rng.pick(NAME_POOL) : str(rng, TOKEN_CHARS, 1, 12);
    let value = str(rng, VALUE_CHARS, 0, 30);
    if (rng.chance(0.03)) value += '\xe9\x80\xff';
    lines.push(`${name}:${ows(rng)}${value}${ows(rng)}`);
  }
  const conn = rng.int(12);
  if (conn === 0) lines.push('Connection: keep-alive');
  else if (conn === 1 && last) lines.push('Connection: close');
  else if (conn === 2) lines.push('Connection: Upgrade', 'Upgrade: websocket');
  else if (conn === 3) lines.push(`Connection: ${rng.pick(['keep-alive, x', 'x, close', 'TE', 'upgrade', 'Keep-Alive', 'CLOSE', 'close\t', 'x,\tclose', 'keep-alive\t', 'Upgrade\t', ' upgrade ,x'])}${rng.chance(0.5) ? '' : '\r\nUpgrade: h2c'}`);
  if (rng.chance(0.05)) lines.push(`Expect: ${rng.pick(['100-continue', '100-Continue', 'x'])}`);
  // Upgrades and CONNECT carry no body (Weft refuses one), except now and then.
  const upgrade = conn === 2 || method === 'CONNECT';
  const kind = upgrade && rng.chance(0.9) ? 0 : method === 'GET' || method === 'HEAD' ? rng.int(6) : rng.int(3);
  let content = '';
  if (kind === 1) {
    content = body(rng, rng.int(rng.chance(0.1) ? 300 : 20));
    lines.push(`${rng.pick(['Content-Length', 'content-length'])}:${ows(rng)}${rng.chance(0.05) ? '0' : ''}${content.length}${ows(rng)}`);
  } else if (kind === 2) {
    lines.push(`${rng.pick(['Transfer-Encoding', 'transfer-encoding'])}:${ows(rng)}${rng.pick(['chunked', 'chunked', 'Chunked', 'CHUNKED'])}${ows(rng)}`);
    const n = rng.int(4);
    for (let i = 0; i < n; i++) {
      const data = body(rng, 1 + rng.int(rng.chance(0.1) ? 200 : 12));
      let size = data.length.toString(16);
      if (rng.chance(0.2)) size = size.toUpperCase();
      if (rng.chance(0.1)) size = `00${size}`;
      content += `${size}${chunkExt(rng)}\r\n${data}\r\n`;
    }
    content += `0${chunkExt(rng)}\r\n`;
    if (rng.chance(0.2)) content += `${rng.pick(['X-Trailer', 'Server-Timing', 'x-t'])}:${ows(rng)}${str(rng, VALUE_CHARS, 0, 10)}\r\n`;
    content += '\r\n';
  }
  return `${rng.chance(0.03) ? '\r\n' : ''}${lines.join('\r\n')}\r\n\r\n${content}`;
}

/** A mutation applied in place to the latin1 request stream. */
function mutate(rng: Rng, s: string): string {
  const at = (): number => rng.int(s.length + 1);
  switch (rng.int(7)) {
    case 0: {
      const i = rng.int(Math.max(1, s.length));
      return s.slice(0, i) + rng.pick(INTERESTING) + s.slice(i + 1);
    }
    case 1: {
      const i = at();
      return s.slice(0, i) + rng.pick(INTERESTING) + s.slice(i);
    }
    case 2: {
      const i = rng.int(Math.max(1, s.length));
      return s.slice(0, i) + s.slice(i + 1);
    }
    case 3:
      return s.slice(0, at());
    case 4:
    case 5: {
      // Splice a smuggling line into a head: after the first line break of a random message.
      const heads = [...s.matchAll(/\r\n/g)].map((m) => m.index!);
      if (heads.length === 0) return s;
      const i = rng.pick(heads) + 2;
      return `${s.slice(0, i)}${rng.pick(SMUGGLING_LINES)}\r\n${s.slice(i)}`;
    }
    default: {
      // Rewrite a chunk size.
      const m = /\r\n\r\n([0-9a-fA-F]+)/.exec(s);
      if (m === null) return s.replace('Content-Length: ', `Content-Length: ${rng.int(3)}`);
      const i = m.index + 4;
      return s.slice(0, i) + rng.pick(['ffffffffffffffffff', '10000000000000', 'fffffffffffff', '-1', '0x1', ' 1', '1 ', '', 'g']) + s.slice(i + m[1]!.length);
    }
  }
}

/** The request stream of one case: 1–3 pipelined requests, mutated in about 40% of cases. */
export function generateCase(seed: number): Buffer {
  const rng = new Rng(seed);
  const n = rng.chance(0.7) ? 1 : 2 + rng.int(2);
  let s = '';
  for (let i = 0; i < n; i++) s += request(rng, i === n - 1);
  if (rng.chance(0.4)) {
    const k = 1 + rng.int(3);
    for (let i = 0; i < k; i++) s = mutate(rng, s);
  }
  return Buffer.from(s, 'latin1');
}
