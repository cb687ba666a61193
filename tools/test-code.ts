/**
 * The one rule that says which files are test code, shared by the build configs' intent, the layer
 * check and the `dist/` check.
 *
 * Test code is:
 * - every `*.test.ts` (unit tests beside the code, end-to-end tests under `test/`);
 * - everything under the top-level `test/` folder (end-to-end tests, their harness and fixtures);
 * - everything inside a folder named `testing/` anywhere under `src/` (test-only modules kept beside
 *   the code they exercise, e.g. `src/proxy/lb/testing/shared-suite.ts`), in the manner of Go's
 *   `net/http/httptest` packages.
 *
 * `tsconfig.json` (the production build, `dist/`) excludes exactly these (`**\/*.test.ts`,
 * `**\/testing/**`, and `test/` is not included); `tsconfig.test.json` compiles everything into
 * `build/`, from where `npm test` runs the tests. A production module never imports test code:
 * `tools/check-dist.ts` fails if any of it reaches `dist/`.
 */

/** True when `relPath` (relative to the repository or to `src/`, `/`-separated, `.ts` or compiled `.js`/`.js.map`) is test code. */
export function isTestCode(relPath: string): boolean {
  const p = relPath.replace(/\\/g, '/').replace(/^\.\//, '');
  const base = p.slice(p.lastIndexOf('/') + 1);
  if (/\.test\.(ts|js|js\.map|d\.ts)$/.test(base)) return true;
  if (p === 'test' || p.startsWith('test/')) return true;
  return p.split('/').slice(0, -1).includes('testing');
}
