/**
 * The error a resource set that cannot be served raises while it is compiled at push time
 * (listener/runtime-snapshot.ts, listener/compiled-listener.ts; hcm-runtime.ts here); the xDS client NACKs the push with its message as the
 * error detail, and the proxy keeps serving its last good snapshot — as Envoy rejects a listener
 * update whose filter configs do not load (`ListenerManagerImpl::addOrUpdateListener` →
 * "Error adding/updating listener(s) …", source/common/listener_manager/listener_manager_impl.cc).
 */
import { WeftError } from '../../util/weft-error.js';

/** Stable codes of snapshot compilation failures. */
export const SnapshotErrorCode = {
  InvalidListener: 'PROXY_INVALID_LISTENER',
  InvalidRoute: 'PROXY_INVALID_ROUTE_CONFIG',
  InvalidCluster: 'PROXY_INVALID_CLUSTER',
} as const;

/** A resource set that cannot be served; its message becomes the NACK's error detail. */
export class SnapshotError extends WeftError {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SnapshotError';
  }
}
