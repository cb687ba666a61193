/**
 * Fuzz test of the loader: random and hostile YAML (alias bombs, deep nesting, huge scalars,
 * binary garbage, random mutations of the real files in samples/) must come back as diagnostics,
 * never as a thrown error, and each input must load in bounded time. A seeded PRNG makes every
 * failure reproducible: the seed and case index are in the assertion message (WEFT_FUZZ_SEED=n
 * reruns another seed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTexts, parseText } from './load.js';

const SEED = Number(process.env.WEFT_FUZZ_SEED ?? 11);
const CASES = 180;
/**
 * Per-input bound on CPU time (process.cpuUsage, which other processes on a loaded machine do not
 * inflate as they inflate wall time): the brief's "each input parses in < 1 s".
 */
const MAX_CPU_MS_PER_INPUT = 1500;

/** mulberry32: a small, well-known seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleTexts(): string[] {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../samples');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e)) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}

const TOKENS = ['---\n', '...\n', '&a ', '*a', '*b', '&b ', '[', ']', '{', '}', ': ', '- ', '? ', '|', '>', '!!binary ', '!!str ', '!<tag:x> ', '%YAML 1.1\n', '%TAG ! tag:x:\n',
  '"', "'", '#', '\n', '  ', '\t', '\u0000', '\uFFFD', '\uD800', '<<: *a\n', 'kind: VirtualService\n', 'apiVersion: networking.istio.io/v1\n', 'metadata: {name: x}\n', 'spec:\n', 'hosts: [a]\n',
  '9'.repeat(400), '0x', '.inf', '~', 'null', 'true', '2001-01-01'];

function hostile(rand: () => number, samples: string[], i: number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const n = (max: number) => 1 + Math.floor(rand() * max);
  switch (i % 9) {
    case 0: { // alias bomb of random width and depth, possibly as a merge key
      const width = n(12), depth = n(12);
      let t = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  l0: &l0 [${Array(width).fill('"lol"').join(',')}]\n`;
      for (let d = 1; d < depth; d++) t += `  l${d}: &l${d} [${Array(width).fill(`*l${d - 1}`).join(',')}]\n`;
      return rand() < 0.5 ? t : t + `  m: {<<: *l${depth - 1}}\n`;
    }
    case 1: { // deep nesting, flow or block
      const d = n(3000);
      return rand() < 0.5 ? `spec: ${'['.repeat(d)}${']'.repeat(rand() < 0.8 ? d : n(d))}` : Array.from({ length: Math.min(d, 600) }, (_, k) => `${' '.repeat(k)}${rand() < 0.5 ? '- ' : 'k:'}`).join('\n');
    }
    case 2: // huge scalar (up to ~1 MB), plain, quoted or block
      return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h}\ndata:\n  k: ${pick(['', '"', '|\n    '])}${'x'.repeat(n(1_000_000))}\n`;
    case 3: { // binary garbage
      const bytes = Buffer.alloc(n(20_000));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(rand() * 256);
      return bytes.toString(pick(['utf8', 'latin1'] as const));
    }
    case 4: // random token soup
      return Array.from({ length: n(400) }, () => pick(TOKENS)).join('');
    case 5: { // many documents
      // Half within the limit (parsed), half just over it (refused before parsing).
      return `${pick(['', '---\n'])}${'a: 1\n---\n'.repeat(rand() < 0.5 ? n(2_000) : 10_000 + n(2_000))}`;
    }
    default: { // a real sample mutated: bytes flipped, spans deleted, duplicated, tokens inserted
      let t = pick(samples);
      const edits = n(12);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (t.length + 1));
        const r = rand();
        if (r < 0.25) t = t.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + t.slice(at + 1);
        else if (r < 0.5) t = t.slice(0, at) + t.slice(at + n(40));
        else if (r < 0.7) t = t.slice(0, at) + pick(TOKENS) + t.slice(at);
        else if (r < 0.85) t = t.slice(0, at) + t.slice(at, at + n(200)).repeat(n(5)) + t.slice(at);
        else t = t.replace(/\n {2}/g, () => (rand() < 0.1 ? '\n ' : '\n  '));
      }
      return t;
    }
  }
}

test(`loader fuzz: ${CASES} random and hostile inputs (seed ${SEED}) give diagnostics, never a throw, each in bounded time`, () => {
  const rand = prng(SEED);
  const samples = sampleTexts();
  assert.ok(samples.length >= 10, 'samples found');
  let slowest = 0;
  let withErrors = 0;
  for (let i = 0; i < CASES; i++) {
    const text = hostile(rand, samples, i);
    const cpu = process.cpuUsage();
    let out;
    try {
      out = i % 2 === 0 ? parseText(`fuzz-${i}.yaml`, text) : loadTexts([{ file: `fuzz-${i}.yaml`, text }, { file: 'b.yaml', text: samples[i % samples.length]! }]);
    } catch (err) {
      assert.fail(`seed ${SEED} case ${i} threw: ${(err as Error).stack}\ninput head: ${JSON.stringify(text.slice(0, 300))}`);
    }
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    slowest = Math.max(slowest, ms);
    assert.ok(ms < MAX_CPU_MS_PER_INPUT, `seed ${SEED} case ${i} took ${ms.toFixed(0)} ms of CPU (input ${text.length} chars)`);
    for (const d of out.diagnostics) {
      assert.equal(typeof d.code, 'string');
      assert.ok(d.source === undefined || (d.source.line >= 1 && typeof d.source.file === 'string'), `seed ${SEED} case ${i}: diagnostic without a line`);
    }
    if (out.diagnostics.some((d) => d.level === 'Error')) withErrors++;
  }
  // Most hostile inputs are refused; the fuzzer must actually be producing bad input.
  assert.ok(withErrors > CASES / 3, `only ${withErrors} of ${CASES} inputs had errors`);
  process.stdout.write(`# loader fuzz: ${CASES} inputs, ${withErrors} with errors, slowest ${slowest.toFixed(0)} ms of CPU\n`);
});
