import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLayers, formatReport, importEdges } from './check-layers.js';
import { scanImports } from './import-scan.js';

/** Writes a tiny `src/` tree (path → text) in a fresh temp directory and returns its path. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-layers-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const LOW_HIGH = [['low'], ['high']];

test('scanImports: every import form, and none from comments, strings, templates or regexes', () => {
  const src = [
    "import a from './a.js';",
    "import type { B } from '../b.js';",
    'import {',
    '  c,',
    '  type D,',
    "} from './c.js';",
    "import * as e from './e.js';",
    "import f, { g } from './f.js';",
    "import './side.js';",
    "export { h } from './h.js';",
    "export * from './star.js';",
    "export type { I } from './i.js';",
    "const lazy = async () => (await import('./lazy.js')).x;",
    "type T = typeof import('./typed.js');",
    "// import z from './comment.js';",
    "/* import y from './block.js'; */",
    "const s = \"import q from './string.js'\";",
    'const t = `',
    "import w from './template.js';",
    '`;',
    "const r = /import v from '.\\/regex.js'/;",
    "const glob = 'dist/**/*.js'; import u from './after-glob.js';",
    "const o = { import: 1 }; o.import('./method.js');",
  ].join('\n');
  assert.deepEqual(
    scanImports(src).map((r) => `${r.kind} ${r.specifier} ${r.line}`),
    [
      'static ./a.js 1',
      'static ../b.js 2',
      'static ./c.js 6',
      'static ./e.js 7',
      'static ./f.js 8',
      'side-effect ./side.js 9',
      'static ./h.js 10',
      'static ./star.js 11',
      'static ./i.js 12',
      'dynamic ./lazy.js 13',
      'dynamic ./typed.js 14',
      'static ./after-glob.js 22',
    ],
  );
});

test('a tree that follows the order passes; tests and packages are not counted', () => {
  const dir = tree({
    'low/a.ts': "import { x } from 'node:fs';\nexport const a = 1;\n",
    'low/a.test.ts': "import { h } from '../high/h.js';\n", // tests may wire layers together
    'low/testing/fixture.ts': "import { h } from '../../high/h.js';\n", // so may test-only modules in testing/
    'high/h.ts': "import { a } from '../low/a.js';\nexport const h = a;\n",
  });
  try {
    const report = checkLayers(dir, LOW_HIGH, []);
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.cycles, []);
    assert.equal(formatReport(report).ok, true);
    assert.deepEqual(importEdges(dir), [{ from: 'high/h.ts', to: 'low/a.ts', line: 1 }]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a cycle between folders fails, naming the files that close it', () => {
  const dir = tree({
    'low/a.ts': "import type { H } from '../high/h.js';\nexport const a = 1;\n",
    'high/h.ts': "import { a } from '../low/a.js';\nexport type H = number;\n",
  });
  try {
    const report = checkLayers(dir, LOW_HIGH, []);
    assert.deepEqual(report.cycles.map((c) => c.folders), [['high', 'low']]);
    assert.deepEqual(report.violations, [{ from: 'low/a.ts', to: 'high/h.ts', line: 1 }]);
    const { ok, lines } = formatReport(report);
    assert.equal(ok, false);
    assert.ok(lines.includes('layers: import cycle between folders high ↔ low:'), lines.join('\n'));
    assert.ok(lines.includes('    src/low/a.ts:1 imports src/high/h.ts'), lines.join('\n'));
    assert.ok(lines.includes('    src/high/h.ts:1 imports src/low/a.ts'), lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('an upward import without a cycle fails too, unless listed as an exception; stale exceptions fail', () => {
  const dir = tree({
    'low/a.ts': "export async function a() { return (await import('../high/h.js')).h; }\n",
    'high/h.ts': 'export const h = 1;\n',
    'mid/m.ts': "import { h } from '../high/h.js';\nexport const m = h;\n", // same layer as high
  });
  const layers = [['low'], ['high', 'mid']];
  try {
    const strict = checkLayers(dir, layers, []);
    assert.deepEqual(strict.cycles, []);
    assert.deepEqual(strict.violations.map((v) => `${v.from}->${v.to}`), ['low/a.ts->high/h.ts', 'mid/m.ts->high/h.ts']);
    const excepted = checkLayers(dir, layers, [
      { from: 'low/a.ts', to: 'high/h.ts', reason: 'test' },
      { from: 'mid/m.ts', to: 'high/h.ts', reason: 'test' },
      { from: 'low/gone.ts', to: 'high/h.ts', reason: 'stale' },
    ]);
    assert.deepEqual(excepted.violations, []);
    assert.deepEqual(excepted.unusedExceptions.map((x) => x.from), ['low/gone.ts']);
    assert.equal(formatReport(excepted).ok, false);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a folder the order does not place fails', () => {
  const dir = tree({ 'low/a.ts': 'export const a = 1;\n', 'extra/e.ts': 'export const e = 1;\n' });
  try {
    const report = checkLayers(dir, LOW_HIGH, []);
    assert.deepEqual(report.undeclared, ['extra']);
    assert.ok(formatReport(report).lines.includes('layers: folder src/extra/ is not placed in tools/layers.ts'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a cycle between subfolders of proxy/ fails, naming the files that close it', () => {
  const dir = tree({
    'proxy/stream.ts': "import { f } from './filters/f.js';\nexport const s = f;\n",
    'proxy/filters/f.ts': "import type { S } from '../stream-types.js';\nexport const f = 1;\n",
    'proxy/stream-types.ts': "import { s } from './stream.js';\nexport type S = typeof s;\n",
  });
  try {
    const report = checkLayers(dir, [['proxy']], [], [['filters']]);
    assert.deepEqual(report.cycles, []);
    assert.deepEqual(report.proxyCycles.map((c) => c.folders), [['proxy', 'proxy/filters']]);
    assert.deepEqual(report.proxyViolations, [{ from: 'proxy/filters/f.ts', to: 'proxy/stream-types.ts', line: 1 }]);
    const { ok, lines } = formatReport(report);
    assert.equal(ok, false);
    assert.ok(lines.includes('layers: import cycle between src/proxy subfolders proxy ↔ proxy/filters:'), lines.join('\n'));
    assert.ok(lines.includes('    src/proxy/filters/f.ts:1 imports src/proxy/stream-types.ts'), lines.join('\n'));
    assert.ok(lines.includes('    src/proxy/stream.ts:1 imports src/proxy/filters/f.ts'), lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('inside proxy/: an upward or same-layer import fails without a cycle; downward ones, root files and tests pass', () => {
  const dir = tree({
    'proxy/http/contract.ts': 'export const c = 1;\n',
    'proxy/http/up.ts': "import { r } from '../hcm/router.js';\nexport const u = r;\n", // leaf → higher layer
    'proxy/stats/s.ts': "import { c } from '../http/contract.js';\nexport const s = c;\n", // same layer as http
    'proxy/hcm/router.ts': 'export const r = 1;\n',
    'proxy/hcm/router.test.ts': "import { w } from '../wiring.js';\n", // tests are exempt
    'proxy/wiring.ts': "import { r } from './hcm/router.js';\nimport { s } from './stats/s.js';\nexport const w = r + s;\n",
  });
  try {
    const report = checkLayers(dir, [['proxy']], [], [['http', 'stats'], ['hcm']]);
    assert.deepEqual(report.proxyCycles, []);
    assert.deepEqual(report.proxyUndeclared, []);
    assert.deepEqual(report.proxyViolations.map((v) => `${v.from}->${v.to}`), ['proxy/http/up.ts->proxy/hcm/router.ts', 'proxy/stats/s.ts->proxy/http/contract.ts']);
    const { ok, lines } = formatReport(report);
    assert.equal(ok, false);
    assert.ok(lines.includes('    src/proxy/http/up.ts:1 imports src/proxy/hcm/router.ts'), lines.join('\n'));
    rmSync(path.join(dir, 'proxy/http/up.ts'));
    rmSync(path.join(dir, 'proxy/stats/s.ts'));
    writeFileSync(path.join(dir, 'proxy/stats/s.ts'), 'export const s = 2;\n');
    writeFileSync(path.join(dir, 'proxy/hcm/down.ts'), "import { c } from '../http/contract.js';\nexport const d = c;\n");
    const clean = checkLayers(dir, [['proxy']], [], [['http', 'stats'], ['hcm']]);
    assert.deepEqual(clean.proxyViolations, []);
    assert.equal(formatReport(clean).ok, true);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a proxy/ subfolder PROXY_LAYERS does not place fails', () => {
  const dir = tree({ 'proxy/http/a.ts': 'export const a = 1;\n', 'proxy/extra/e.ts': 'export const e = 1;\n' });
  try {
    const report = checkLayers(dir, [['proxy']], [], [['http']]);
    assert.deepEqual(report.proxyUndeclared, ['proxy/extra']);
    const { ok, lines } = formatReport(report);
    assert.equal(ok, false);
    assert.ok(lines.includes('layers: folder src/proxy/extra/ is not placed in PROXY_LAYERS (tools/layers.ts)'), lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('the command exits 1 on a cycle and 0 on the repository itself', () => {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'check-layers.js');
  const dir = tree({
    'util/u.ts': "import { c } from '../config/c.js';\nexport const u = c;\n",
    'config/c.ts': "import { u } from '../util/u.js';\nexport const c = 1;\nexport const d = u;\n",
  });
  try {
    const bad = spawnSync(process.execPath, [script, dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /import cycle between folders config ↔ util/);
    assert.match(bad.stderr, /src\/util\/u\.ts:1 imports src\/config\/c\.ts/);
    const repo = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(repo.status, 0, repo.stdout + repo.stderr);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
