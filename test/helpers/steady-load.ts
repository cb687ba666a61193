/**
 * Steady background load through a proxy while a test changes the mesh. The code lives in
 * `bench/lib/steady-load.ts`, which the benchmarks share and which ships in `dist/`; this module keeps
 * the tests' import path.
 */
export * from '../../bench/lib/steady-load.js';
