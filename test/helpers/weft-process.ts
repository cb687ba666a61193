/**
 * Runs the real `weft` executable as a child process (one-shot and long-running commands). The code
 * lives in `bench/lib/weft-process.ts`, which the benchmarks share and which ships in `dist/`; this
 * module keeps the tests' import path.
 */
export * from '../../bench/lib/weft-process.js';
