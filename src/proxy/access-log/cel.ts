/**
 * The CEL subset access log filters evaluate; it lives in `src/cel/` so the config checks, the
 * Telemetry translation and the proxy's stats layer share it (re-exported here for the access log).
 */
export * from '../../cel/cel.js';
