/**
 * A tiny seeded pseudo-random generator (xorshift32 with a multiplicative output scramble) for
 * deterministic tests and simulations of the balancers. Not for anything security-related, and not
 * used on the request path (which takes Math.random or the caller's source via `LbContext.random`).
 */

/** Returns a function producing uniform numbers in [0, 1), fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  // Spread the seed so small seeds (1, 2, 3, …) start far apart; never let the state be 0.
  let state = (Math.imul((seed | 0) ^ 0x5bd1e995, 0x27d4eb2d) ^ 0x9e3779b9) >>> 0 || 0x1234567;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (Math.imul(state, 0x2c1b3c6d) >>> 0) / 4294967296;
  };
}

/** An integer request hash in [0, 2^53) drawn from `random` (two draws). */
export function randomHash(random: () => number): number {
  return Math.floor(random() * 2097152) * 4294967296 + Math.floor(random() * 4294967296);
}
