/**
 * The proxy's shared per-proxy state as the listeners, TCP proxy and wiring see it: the connection
 * manager's {@link HcmContext} holding the whole compiled {@link RuntimeSnapshot} (entry points,
 * resources, compiled listeners), where the connection manager itself reads only the routes and
 * clusters of it (`hcm/stream-snapshot.ts`).
 */
import type { HcmContext } from '../hcm/hcm-context.js';
import type { RuntimeSnapshot } from './runtime-snapshot.js';

/** Shared per-proxy state with the whole snapshot. `snapshot` is replaced, never mutated. */
export type ProxyContext = HcmContext<RuntimeSnapshot>;
