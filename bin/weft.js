#!/usr/bin/env node
// The `weft` executable: a thin shim over the compiled CLI (npm ci builds dist/ through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`weft: internal error: ${err?.stack ?? err}\n`); process.exitCode = 1; },
);
