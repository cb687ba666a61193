/**
 * The one error type of the proxy's load-balancing layer (hosts, balancers, hash policies). Every
 * failure carries a stable `code` so the cluster manager and the xDS NACK path can react to it
 * without parsing text; `message` is for humans.
 */
import { WeftError } from '../../util/weft-error.js';

/** Stable codes of load-balancing failures. */
export const LbErrorCode = {
  /** The cluster's `lbPolicy` is not one this proxy implements (e.g. CLUSTER_PROVIDED). */
  UnsupportedPolicy: 'LB_UNSUPPORTED_POLICY',
  /** A numeric or structural LB setting is out of range (ring sizes, choice count, bias, …). */
  InvalidConfig: 'LB_INVALID_CONFIG',
  /** `maglevLbConfig.tableSize` is not a prime number. */
  MaglevTableSizeNotPrime: 'LB_MAGLEV_TABLE_SIZE_NOT_PRIME',
  /** A host was described with an invalid weight, address or port. */
  InvalidHost: 'LB_INVALID_HOST',
  /** A route hash policy entry is malformed or uses a form this proxy does not implement. */
  InvalidHashPolicy: 'LB_INVALID_HASH_POLICY',
} as const;

/** One of {@link LbErrorCode}'s values. */
export type LbErrorCode = (typeof LbErrorCode)[keyof typeof LbErrorCode];

/** Error raised while building hosts, load balancers or hash policies (never per request). */
export class LbError extends WeftError {
  readonly code: LbErrorCode;
  constructor(code: LbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LbError';
    this.code = code;
  }
}
