/**
 * Node/V8 flags for proxy processes: `weft up` starts every sidecar and the gateway as
 * `node ${PROXY_NODE_FLAGS} weft proxy …` (src/up/pod-runner.ts, src/up/mesh.ts). A proxy started
 * by hand can get the same with `NODE_OPTIONS=--max-semi-space-size=4 weft proxy …`.
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space (Node 20's default
 * is 16 MiB). Decoding a large mesh's first push grows the young generation to its cap, and V8
 * keeps that memory committed afterwards; with the cap an idle sidecar holding 1,000 services of
 * config sits at about 102 MB RSS instead of about 133 MB (bench/idle-memory.ts; BENCHMARKS.md,
 * "Idle sidecar memory"). The price is more frequent scavenges under load: in four interleaved
 * A/B runs (one sidecar saturated by wrk at 16 connections) the median CPU-seconds per 10k
 * requests moved by -3 %, -1 %, -3 % and +11 %, i.e. within this machine's noise, at most about
 * a tenth more CPU per request. `=2` saves nothing more at idle; `--optimize-for-size` saves the
 * same but cost up to 17 % in the same runs.
 */

/** Node/V8 command-line flags for a proxy process. */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
