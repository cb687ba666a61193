/**
 * Where a sidecar listens for a Sidecar egress listener with a `bind` address (istiod's bound
 * `<bind>_<port>` listener, src/translate/listener/sidecar-egress-bind.ts).
 *
 * In Kubernetes every pod has its own network namespace, so `bind: 127.0.0.1` (the common case, and
 * istiod's default for captureMode NONE) means "this pod's loopback": each pod's app reaches its own
 * sidecar there. Weft runs every pod on one host, each with its own address (the pod IP, `--pod-net`
 * under `weft up`, given to the app as POD_IP), so the addresses that mean "this pod" (127.0.0.1,
 * ::1, 0.0.0.0, ::) are listened on at the pod IP:
 * two pods with the same Sidecar then never collide, and the app reaches its egress listener at
 * `$POD_IP:<port>`, as it reaches `127.0.0.1:<port>` in a pod. Another address is listened on as
 * given; when it cannot be bound (taken by another pod's listener, not local) the proxy reports an
 * error naming the listener and the Sidecar, and keeps serving everything else.
 */
import net from 'node:net';
import type { Listener } from '../../envoy/types.js';
import type { RuntimeSnapshot } from './runtime-snapshot.js';

const LOOPBACK_OR_WILDCARD = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);

/** True for a sidecar's bound egress listener (`<bind>_<port>`, outbound, bound to its port). */
export function isEgressBindListener(l: Listener | undefined): boolean {
  return l !== undefined && l.trafficDirection === 'OUTBOUND' && l.bindToPort?.value === true && l.name !== 'virtualOutbound';
}

/** The bound egress listeners of a snapshot, by name. */
export function egressBindListeners(snapshot: RuntimeSnapshot): ReadonlyMap<string, Listener> {
  const out = new Map<string, Listener>();
  for (const [name, l] of snapshot.resources.listeners) if (isEgressBindListener(l)) out.set(name, l);
  return out;
}

/** The address a sidecar at `podIp` listens on for a bound egress listener (see the file comment). */
export function egressBindHost(l: Listener, podIp: string): string {
  const address = l.address?.socketAddress?.address ?? '';
  if (net.isIP(address) === 0 || LOOPBACK_OR_WILDCARD.has(address)) return podIp;
  return address;
}

/** `(Sidecar ns/name)`, for errors about a bound egress listener. */
export function egressBindOrigin(l: Listener | undefined): string {
  const ref = l?.metadata?.filterMetadata?.istio?.fields?.config?.stringValue;
  const m = ref ? /namespaces\/([^/]+)\/sidecar\/([^/]+)$/.exec(ref) : null;
  return m ? `Sidecar ${m[1]}/${m[2]} egress bind` : 'Sidecar egress bind';
}
