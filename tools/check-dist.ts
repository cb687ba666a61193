/**
 * Fails when the production build holds test code: lists every file under `dist/` that
 * `tools/test-code.ts` calls a test or a test fixture (`*.test.js`, anything from `test/`, anything
 * from a `testing/` folder). A production module that imported test code would pull it into `dist/`
 * (tsc emits what is imported even when excluded), so this also catches such an import.
 *
 * Usage: `node dist/tools/check-dist.js [DIST_DIR]` (default: the repository's `dist/`); exit 0 when
 * `dist/` is clean, 1 with one line per offending file otherwise. `npm test` runs it after the
 * production build, and `tools/check-dist.test.ts` runs it on the real `dist/` too.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isTestCode } from './test-code.js';

/** Files under `distDir` (relative, `/`-separated, sorted) that are test code. */
export function testFilesIn(distDir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(distDir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (isTestCode(child)) found.push(entry.isDirectory() ? `${child}/` : child);
      else if (entry.isDirectory()) walk(child);
    }
  };
  walk('');
  return found.sort();
}

/** The check's verdict on `distDir` and the lines to print. */
export function checkDist(distDir: string): { readonly ok: boolean; readonly lines: string[] } {
  if (!existsSync(distDir) || !statSync(distDir).isDirectory()) {
    return { ok: false, lines: [`dist check: ${distDir} does not exist (run \`npm run build\` first)`] };
  }
  const bad = testFilesIn(distDir);
  if (bad.length === 0) return { ok: true, lines: [`dist check: ${distDir} holds no test code`] };
  return {
    ok: false,
    lines: [
      `dist check: ${bad.length} test file(s) in the production build ${distDir} (tsconfig.json must exclude them; see tools/test-code.ts):`,
      ...bad.map((f) => `  ${f}`),
    ],
  };
}

/** CLI entry: `node dist/tools/check-dist.js [DIST_DIR]`. */
function main(): void {
  const defaultDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
  const { ok, lines } = checkDist(path.resolve(process.argv[2] ?? defaultDist));
  for (const line of lines) (ok ? console.log : console.error)(line);
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
