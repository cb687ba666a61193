/**
 * Filter-chain selection for the TCP dispatchers (auto-protocol ports, outbound by address): through
 * the listener's compiled form (../listener/compiled-listener.ts, matched and compiled once per push), so
 * a connection never compiles a matcher or a chain; a listener object no push compiled (none in
 * the proxy) falls back to Envoy's matcher compiled here (src/envoy/filter-chain-matcher.ts).
 */
import { selectFilterChain, type ConnectionInfo } from '../../envoy/filter-chain-matcher.js';
import type { FilterChain, Listener } from '../../envoy/types.js';
import { compiledListenerOf } from '../listener/compiled-listener.js';

/** The chain of `listener` a connection matches (its config object; its compiled form via compiledChainOf). */
export function selectCompiledChain(listener: Listener, conn: ConnectionInfo): FilterChain | undefined {
  const compiled = compiledListenerOf(listener);
  return compiled !== undefined ? compiled.select(conn)?.config : selectFilterChain(listener, conn);
}
