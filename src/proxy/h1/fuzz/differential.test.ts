/**
 * The differential fuzz test of Weft's HTTP/1.1 request parser against llhttp (node:http's parser),
 * issue 13 Deliver 4: ≥ 100,000 seeded cases per run (random and mutated request heads and bodies,
 * chunked, Content-Length, pipelined; every 250th case also split at every byte boundary and fed
 * byte by byte). Any input Weft accepts must parse identically in llhttp; anything llhttp refuses,
 * Weft refuses. Replay or extend: `WEFT_FUZZ_SEED=<seed> WEFT_FUZZ_CASES=<n> node --test
 * build/src/proxy/h1/fuzz/differential.test.js` after `npm run build:test` (the seed is printed, and on a failure the case
 * index and its bytes). A longer run: `npm run bench -- h1-codec`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDifferential } from './differential.js';
import { LLHTTP_VERSION } from './llhttp-oracle.js';

const seed = process.env.WEFT_FUZZ_SEED !== undefined ? Number(process.env.WEFT_FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0;
const cases = process.env.WEFT_FUZZ_CASES !== undefined ? Number(process.env.WEFT_FUZZ_CASES) : 100_000;

test(`Weft's request parser never accepts what llhttp ${LLHTTP_VERSION} refuses, and parses what it accepts identically (${cases} cases, WEFT_FUZZ_SEED=${seed})`, () => {
  const started = Date.now();
  const r = runDifferential({ seed, cases, splitEvery: 250 });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const summary = `WEFT_FUZZ_SEED=${seed}: ${r.cases} cases in ${secs} s; Weft accepted ${r.accepted}, refused ${r.refused}; llhttp refused ${r.llhttpRefused}; ${r.splitCases} split at every byte`;
  console.log(summary);
  if (r.mismatch !== undefined) {
    const m = r.mismatch;
    assert.fail(`${summary}\nmismatch at case ${m.index} (replay: WEFT_FUZZ_SEED=${m.seed}, generateCase(caseSeed(${m.seed}, ${m.index}))): ${m.why}\ninput: ${m.input}\nweft: ${JSON.stringify(m.weft)}\nllhttp: ${JSON.stringify(m.llhttp)}`);
  }
  assert.equal(r.cases, cases);
  // The generator must keep exercising both sides: plenty of accepted and of refused inputs.
  assert.ok(r.accepted > cases * 0.3 && r.refused > cases * 0.1, summary);
});
