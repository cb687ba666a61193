/**
 * Envoy's fault filter (`envoy.filters.http.fault`) driven by per-route config, as Istio's
 * VirtualService `fault` produces it: a fixed delay (flag DI), then an abort with an HTTP status, or
 * a gRPC status (HTTP 200 with `grpc-status`) (flag FI, body `fault filter abort`). What a config
 * means (compilation, percentages, route over virtual host) is `src/envoy/fault-policy.ts`, shared
 * with the simulator and `weft explain`. Header-controlled faults, rate limits and `maxActiveFaults`
 * are not implemented. Routes without faults cost one WeakMap lookup.
 */
import { abortInjected, delayInjected, FAULT_FILTER_NAME, routeFault, type CompiledFault } from '../envoy/fault-policy.js';
import { continueDecoding, sendLocalReply } from './connection-manager.js';
import { FilterStatus, type HttpFilter } from './http-filter.js';
import { addFlag, LocalReply } from './local-reply.js';
import type { ProxyStream } from './proxy-stream.js';

/** The fault filter; stateless, shared by all requests. */
export class FaultFilter implements HttpFilter {
  readonly name = FAULT_FILTER_NAME;

  constructor(private readonly random: () => number = Math.random) {}

  decodeHeaders(s: ProxyStream): FilterStatus {
    const sel = s.selectRoute();
    if (sel.kind !== 'route') return FilterStatus.Continue;
    const f = routeFault(sel.route, sel.virtualHost);
    if (f === undefined) return FilterStatus.Continue;
    if (delayInjected(f, this.random)) {
      s.flag = addFlag(s.flag, 'DI');
      s.timer = setTimeout(onDelayDone, f.delayMs, s, f, this.random);
      return FilterStatus.Stop;
    }
    return abortOrContinue(s, f, this.random);
  }
}

function abortOrContinue(s: ProxyStream, f: CompiledFault, random: () => number): FilterStatus {
  const a = abortInjected(f, random);
  if (a === undefined) return FilterStatus.Continue;
  throw 'httpStatus' in a ? LocalReply.faultAbort(a.httpStatus) : LocalReply.faultAbortGrpc(a.grpcStatus);
}

function onDelayDone(s: ProxyStream, f: CompiledFault, random: () => number): void {
  s.timer = undefined;
  if (s.res.destroyed || s.res.headersSent) return;
  let status: FilterStatus;
  try {
    status = abortOrContinue(s, f, random);
  } catch (err) {
    sendLocalReply(s, err as Parameters<typeof sendLocalReply>[1]);
    return;
  }
  if (status === FilterStatus.Continue) continueDecoding(s);
}
