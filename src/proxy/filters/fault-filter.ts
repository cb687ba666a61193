/**
 * Envoy's fault filter (`envoy.filters.http.fault`) driven by per-route config, as Istio's
 * VirtualService `fault` produces it: a fixed delay (flag DI), then an abort with an HTTP status, or
 * a gRPC status (HTTP 200 with `grpc-status`) (flag FI, body `fault filter abort`). What a config
 * means (compilation, percentages, route over virtual host) is `src/envoy/fault-policy.ts`, shared
 * with the simulator and `weft explain`. Header-controlled faults, rate limits and `maxActiveFaults`
 * are not implemented. Routes without faults cost one WeakMap lookup.
 */
import { abortInjected, delayInjected, FAULT_FILTER_NAME, routeFault, type CompiledFault } from '../../envoy/fault-policy.js';
import { FilterStatus, type FilterCallbacks, type HttpFilter } from '../http/filter.js';
import { LocalReply } from '../http/local-reply.js';
import type { StreamInfo } from '../http/stream-info.js';

/** The fault filter; stateless, shared by all requests. */
export class FaultFilter implements HttpFilter {
  readonly name = FAULT_FILTER_NAME;

  constructor(private readonly random: () => number = Math.random) {}

  decodeHeaders(info: StreamInfo, callbacks: FilterCallbacks): FilterStatus {
    const sel = info.selectRoute();
    if (sel.kind !== 'route') return FilterStatus.Continue;
    const f = routeFault(sel.route, sel.virtualHost);
    if (f === undefined) return FilterStatus.Continue;
    if (delayInjected(f, this.random)) {
      // Envoy's fault filter: the delay (flag DI) comes first, the abort is decided once it elapsed
      // (envoy/source/extensions/filters/http/fault/fault_filter.cc, onDelayTimerElapsed).
      callbacks.addResponseFlag('DI');
      callbacks.delayDecoding(f.delayMs, afterDelay, this);
      return FilterStatus.Stop;
    }
    return this.abortOrContinue(f);
  }

  /** Aborts (throws the local reply) when the abort percentage says so, else continues. */
  abortOrContinue(f: CompiledFault): FilterStatus {
    const a = abortInjected(f, this.random);
    if (a === undefined) return FilterStatus.Continue;
    throw 'httpStatus' in a ? LocalReply.faultAbort(a.httpStatus) : LocalReply.faultAbortGrpc(a.grpcStatus);
  }
}

function afterDelay(info: StreamInfo, _callbacks: FilterCallbacks, filter: FaultFilter): FilterStatus {
  // The route cannot have changed meanwhile: the selection is computed once per stream.
  const sel = info.selectRoute();
  const f = sel.kind === 'route' ? routeFault(sel.route, sel.virtualHost) : undefined;
  return f === undefined ? FilterStatus.Continue : filter.abortOrContinue(f);
}
