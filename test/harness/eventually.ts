/**
 * Bounded polling for end-to-end tests: wait for a condition the system reaches asynchronously (a
 * config push landing in a proxy, a host becoming healthy) without ever sleeping a fixed time. Every
 * wait is bounded in time, and optionally in attempts, and fails naming what it waited for.
 */
import assert from 'node:assert/strict';

/** Limits of one wait. */
export interface PollOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Give up after this many checks (default: no limit but the time). */
  readonly tries?: number;
  /** Pause between checks (default 50 ms). */
  readonly intervalMs?: number;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` until it holds; fails with `timed out waiting for <what>` at the first limit reached. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, options: PollOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, tries = Infinity, intervalMs = 50 } = options;
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < tries && Date.now() < end; i++) {
    if (await cond()) return;
    await sleep(intervalMs);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * Calls `fn` until `ok` accepts its result and returns that result; a throw counts as "not yet"
 * (the endpoint may not listen yet). Fails naming `what` and the last result.
 */
export async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, what: string, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, tries = Infinity, intervalMs = 50 } = options;
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (let i = 0; i < tries && Date.now() < end; i++) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      // not ready yet
    }
    await sleep(intervalMs);
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}
