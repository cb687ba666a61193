/**
 * The base of every error Weft throws on purpose. Each folder keeps its own class (`SecurityError`,
 * `AdsError`, `EnvoyConfigError`, `UserError`, …) with its own stable codes; they all extend this one,
 * so a caller that catches "some Weft error" reads `code` and `cause` without knowing which folder
 * threw it, and anything else caught is a bug, not a refusal. Codes are part of the interface: users
 * and tests match them, so a code, once written, is never renamed.
 */

/** An error with a stable, machine-readable code (e.g. `CA_NOT_READY`) and an optional cause. */
export abstract class WeftError extends Error {
  /** Stable code, in UPPER_SNAKE_CASE; the subclass declares which codes it uses. */
  abstract readonly code: string;

  /** `options.cause` is the error this one wraps (standard `Error.cause`). */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
