/**
 * `npm run bench -- h1-codec`: Weft's downstream HTTP/1.1 request parser (src/proxy/h1) against
 * llhttp, node:http's parser, driven through the same binding node:http uses (`_http_common`).
 * Two parts: a long differential fuzz run (the unit test runs 100,000 cases; this runs 1,000,000,
 * every 100th also split at every byte) and parse throughput on four request shapes, parser
 * against parser in the same process, interleaved rounds, median of each. Only the parsers are
 * measured (no sockets, no IncomingMessage): llhttp's figure leaves out what node:http adds on top.
 */
import { runDifferential, type DifferentialResult } from '../src/proxy/h1/fuzz/differential.js';
import { LLHTTP_VERSION } from '../src/proxy/h1/fuzz/llhttp-oracle.js';
import { H1RequestParser } from '../src/proxy/h1/request-parser.js';
import { createRequire } from 'node:module';

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  [key: number]: unknown;
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: (new () => LlhttpParser) & Record<string, number> };

/** A request shape of the throughput part. */
interface Shape {
  readonly name: string;
  /** One buffer holding `requests` requests. */
  readonly wire: Buffer;
  readonly requests: number;
}

/** Figures of one shape. */
export interface ThroughputRow {
  readonly name: string;
  readonly weftReqPerSec: number;
  readonly llhttpReqPerSec: number;
  readonly weftMBps: number;
  readonly llhttpMBps: number;
}

/** The result of the benchmark. */
export interface H1CodecBenchResult {
  readonly fuzz: DifferentialResult & { readonly seed: number; readonly seconds: number };
  readonly rows: readonly ThroughputRow[];
}

const HEADERS = 'Host: productpage.default.svc.cluster.local:9080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nX-Request-Id: 5f1b3f0e-3c7e-4f3a-9d6e-2f5b1c0a9e77\r\nX-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7\r\nX-B3-SpanId: e457b5a2e4d86bd1\r\nX-B3-Sampled: 1\r\nX-Forwarded-Proto: http\r\n';

function shapes(): Shape[] {
  const get = `GET /productpage?u=normal HTTP/1.1\r\n${HEADERS}\r\n`;
  const body = 'x'.repeat(1024);
  const post = `POST /api/v1/products/0/reviews HTTP/1.1\r\n${HEADERS}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  let chunked = `POST /upload HTTP/1.1\r\n${HEADERS}Transfer-Encoding: chunked\r\n\r\n`;
  for (let i = 0; i < 16; i++) chunked += `400\r\n${body}\r\n`;
  chunked += '0\r\n\r\n';
  return [
    { name: 'GET, 8 header fields (one per read)', wire: Buffer.from(get), requests: 1 },
    { name: '16 pipelined GETs (one read)', wire: Buffer.from(get.repeat(16)), requests: 16 },
    { name: 'POST, 1 KiB Content-Length body', wire: Buffer.from(post), requests: 1 },
    { name: 'POST, 16 KiB chunked body (16 chunks)', wire: Buffer.from(chunked), requests: 1 },
  ];
}

/** Parses `shape.wire` repeatedly with Weft's parser for about `ms`; returns requests per second. */
function weftRate(shape: Shape, ms: number): number {
  let done = 0;
  let bytes = 0;
  const p = new H1RequestParser({ onHead: () => undefined, onBody: (c) => (bytes += c.length), onTrailers: () => undefined, onComplete: () => done++ });
  const start = process.hrtime.bigint();
  const limit = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < limit) {
    for (let k = 0; k < 200; k++) {
      let buf = shape.wire;
      while (buf.length > 0) buf = buf.subarray(p.execute(buf));
    }
    now = process.hrtime.bigint();
  }
  if (bytes < 0) throw new Error('unreachable');
  return done / (Number(now - start) / 1e9);
}

/** The same with llhttp (one parser, as node:http keeps one per connection). */
function llhttpRate(shape: Shape, ms: number): number {
  let done = 0;
  let bytes = 0;
  const p = new HTTPParser();
  p.initialize(HTTPParser.REQUEST!, {}, 16 * 1024, HTTPParser.kLenientNone!);
  p[HTTPParser.kOnHeaders!] = () => undefined;
  p[HTTPParser.kOnHeadersComplete!] = () => 0;
  p[HTTPParser.kOnBody!] = (b: Buffer) => (bytes += b.length);
  p[HTTPParser.kOnMessageComplete!] = () => done++;
  const start = process.hrtime.bigint();
  const limit = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < limit) {
    for (let k = 0; k < 200; k++) {
      const r = p.execute(shape.wire);
      if (typeof r !== 'number') throw r;
    }
    now = process.hrtime.bigint();
  }
  if (bytes < 0) throw new Error('unreachable');
  return done / (Number(now - start) / 1e9);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs both parts (`quick`: 200,000 fuzz cases and shorter rounds). */
export function runH1CodecBench(quick: boolean, log: (line: string) => void): H1CodecBenchResult {
  const seed = process.env['WEFT_FUZZ_SEED'] !== undefined ? Number(process.env['WEFT_FUZZ_SEED']) >>> 0 : (Date.now() >>> 0);
  const cases = process.env['WEFT_FUZZ_CASES'] !== undefined ? Number(process.env['WEFT_FUZZ_CASES']) : quick ? 200_000 : 1_000_000;
  log(`h1-codec: differential fuzz, ${cases} cases, WEFT_FUZZ_SEED=${seed}`);
  const started = Date.now();
  const fuzz = runDifferential({ seed, cases, splitEvery: 100 });
  const seconds = (Date.now() - started) / 1000;
  if (fuzz.mismatch !== undefined) log(`h1-codec: MISMATCH at case ${fuzz.mismatch.index}: ${fuzz.mismatch.why}\ninput: ${fuzz.mismatch.input}`);
  const rounds = quick ? 3 : 5;
  const ms = quick ? 300 : 1000;
  const rows: ThroughputRow[] = [];
  for (const shape of shapes()) {
    const w: number[] = [];
    const l: number[] = [];
    weftRate(shape, 200);
    llhttpRate(shape, 200);
    for (let r = 0; r < rounds; r++) {
      w.push(weftRate(shape, ms));
      l.push(llhttpRate(shape, ms));
    }
    const weft = median(w);
    const ll = median(l);
    const mb = (shape.wire.length / shape.requests) / 1e6;
    rows.push({ name: shape.name, weftReqPerSec: weft, llhttpReqPerSec: ll, weftMBps: weft * mb, llhttpMBps: ll * mb });
    log(`h1-codec: ${shape.name}: weft ${weft.toFixed(0)} req/s, llhttp ${ll.toFixed(0)} req/s`);
  }
  return { fuzz: { ...fuzz, seed, seconds }, rows };
}

/** The BENCHMARKS.md section body. */
export function h1CodecReport(r: H1CodecBenchResult, machine: string): string {
  const f = r.fuzz;
  const verdict = f.mismatch === undefined ? 'no mismatch' : `**MISMATCH** at case ${f.mismatch.index}: ${f.mismatch.why}`;
  const rows = r.rows.map((x) => `| ${x.name} | ${Math.round(x.weftReqPerSec).toLocaleString('en-US')} | ${Math.round(x.llhttpReqPerSec).toLocaleString('en-US')} | ${(x.weftReqPerSec / x.llhttpReqPerSec).toFixed(2)} × | ${x.weftMBps.toFixed(0)} / ${x.llhttpMBps.toFixed(0)} |`).join('\n');
  return `Command: \`npm run bench -- h1-codec\` (bench/h1-codec-bench.ts). Machine: ${machine}. llhttp ${LLHTTP_VERSION}.

Differential fuzz against llhttp (WEFT_FUZZ_SEED=${f.seed}): ${f.cases.toLocaleString('en-US')} cases in ${f.seconds.toFixed(0)} s, ${f.splitCases.toLocaleString('en-US')} of them also split at every byte boundary; Weft accepted ${f.accepted.toLocaleString('en-US')} and refused ${f.refused.toLocaleString('en-US')} (llhttp refused ${f.llhttpRefused.toLocaleString('en-US')}): ${verdict}.

Parse throughput, parser against parser in one process (median of interleaved rounds; llhttp through node:http's binding, without what node:http adds on top):

| request shape | Weft req/s | llhttp req/s | Weft / llhttp | MB/s Weft / llhttp |
| --- | --- | --- | --- | --- |
${rows}`;
}
