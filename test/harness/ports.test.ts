import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOOPBACK_CLAIMS, addressRangesOf, claimKey, ipv4ToNumber, type LoopbackClaim } from './ports.js';

/** The repository's test/ sources (this file runs from build/test/harness/). */
const TEST_SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test');

/** Every pair of files whose claims overlap, as readable lines. */
function overlaps(table: Readonly<Record<string, LoopbackClaim>>): string[] {
  const out: string[] = [];
  const rows = Object.entries(table);
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const [a, ca] = rows[i]!;
      const [b, cb] = rows[j]!;
      for (const [p, q] of ca.ports ?? []) for (const [r, s] of cb.ports ?? []) if (p <= s && r <= q) out.push(`${a} ports ${p}-${q} overlap ${b} ports ${r}-${s}`);
      for (const [p, q] of addressRangesOf(ca)) for (const [r, s] of addressRangesOf(cb)) if (p <= s && r <= q) out.push(`${a} and ${b} claim overlapping addresses`);
    }
  }
  return out;
}

/** Fixed ports, non-127.0.0.x loopback addresses and `--pod-net`s written in a test source. */
function literalsIn(source: string): { ports: number[]; addresses: string[]; podNets: number[] } {
  const ports = [...source.matchAll(/(?<![\d.])(1[89]\d{3})(?!\d)/g)].map((m) => Number(m[1]));
  const addresses = [...source.matchAll(/(?<![\d.])127\.(\d+)\.(\d+)\.(\d+)(?![\d])/g)].filter((m) => !(m[1] === '0' && m[2] === '0')).map((m) => m[0]);
  const podNets = [...source.matchAll(/'--pod-net',\s*'(\d+)'|podNet:\s*(\d+)/g)].map((m) => Number(m[1] ?? m[2]));
  return { ports, addresses, podNets };
}

function testSources(dir = TEST_SRC, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...testSources(dir, child));
    else if (e.name.endsWith('.ts')) out.push(child);
  }
  return out;
}

test('no two test files claim overlapping ports, addresses or pod networks', () => {
  assert.deepEqual(overlaps(LOOPBACK_CLAIMS), []);
});

test('the overlap check catches a shared port, a shared /24 and a pod network over an address', () => {
  assert.equal(overlaps({ 'a.test.ts': { ports: [[19000, 19009]] }, 'b.test.ts': { ports: [[19009, 19010]] } }).length, 1);
  assert.equal(overlaps({ 'a.test.ts': { addresses: ['127.0.7.0/24'] }, 'b.test.ts': { addresses: ['127.0.7.9'] } }).length, 1);
  assert.equal(overlaps({ 'a.test.ts': { podNet: 44 }, 'b.test.ts': { addresses: ['127.44.3.1-127.44.3.9'] } }).length, 1);
  assert.deepEqual(overlaps({ 'a.test.ts': { ports: [[19000, 19009]], podNet: 44 }, 'b.test.ts': { ports: [[19010, 19019]], podNet: 45 } }), []);
});

test('every row names an existing file under test/', () => {
  const missing = Object.keys(LOOPBACK_CLAIMS).filter((k) => !existsSync(path.join(TEST_SRC, k)));
  assert.deepEqual(missing, []);
  assert.equal(claimKey('file:///r/build/test/fidelity/cors.test.js'), 'fidelity/cors.test.ts');
});

test('every fixed port, loopback address and pod network a test file writes is in its own row', () => {
  const unclaimed: string[] = [];
  for (const file of testSources()) {
    if (file === 'harness/ports.ts' || file === 'harness/ports.test.ts') continue;
    const { ports, addresses, podNets } = literalsIn(readFileSync(path.join(TEST_SRC, file), 'utf8'));
    const claim = LOOPBACK_CLAIMS[file] ?? {};
    const ranges = addressRangesOf(claim);
    for (const p of new Set(ports)) if (!(claim.ports ?? []).some(([a, b]) => p >= a && p <= b)) unclaimed.push(`test/${file}: port ${p}`);
    for (const a of new Set(addresses)) {
      const n = ipv4ToNumber(a);
      if (!ranges.some(([lo, hi]) => n >= lo && n <= hi)) unclaimed.push(`test/${file}: address ${a}`);
    }
    for (const n of new Set(podNets)) if (claim.podNet !== n) unclaimed.push(`test/${file}: --pod-net ${n}`);
  }
  assert.deepEqual(unclaimed, [], 'claim these in test/harness/ports.ts (pick a free block)');
});
