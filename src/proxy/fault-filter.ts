/**
 * Envoy's fault filter (`envoy.filters.http.fault`) driven by per-route config, as Istio's
 * VirtualService `fault` produces it: a fixed delay injected with its percentage (flag DI), then an
 * abort with an HTTP status, or a gRPC status (HTTP 200 with `grpc-status`), with its percentage
 * (flag FI, body `fault filter abort`). Each part is sampled independently per request; a missing
 * percentage injects nothing. The most specific `typedPerFilterConfig` wins (weighted cluster,
 * route, virtual host). Header-controlled faults, rate limits and `maxActiveFaults` are not
 * implemented. Compiled once per config object; routes without faults cost one WeakMap lookup.
 */
import type { HttpFault, Route, VirtualHost } from '../envoy/types.js';
import { continueDecoding, sendLocalReply } from './connection-manager.js';
import { durationMs } from './durations.js';
import { fractionHit } from './fractional-percent.js';
import { FilterStatus, type HttpFilter } from './http-filter.js';
import { addFlag, LocalReply } from './local-reply.js';
import type { ProxyStream } from './proxy-stream.js';

/** Name of the filter and key of its per-route config. */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';

/** A compiled fault policy. */
export interface CompiledFault {
  readonly delayMs: number;
  readonly delay: HttpFault['delay'];
  readonly abort: HttpFault['abort'];
}

const compiled = new WeakMap<object, CompiledFault | null>();

/** The compiled fault config of a route/vhost (undefined when it has none). */
export function faultOf(owner: Route | VirtualHost): CompiledFault | undefined {
  const hit = compiled.get(owner);
  if (hit !== undefined) return hit ?? undefined;
  const cfg = owner.typedPerFilterConfig?.[FAULT_FILTER_NAME] as HttpFault | undefined;
  let out: CompiledFault | null = null;
  if (cfg !== undefined && (cfg.delay !== undefined || cfg.abort !== undefined)) {
    out = { delayMs: durationMs(cfg.delay?.fixedDelay) ?? 0, delay: cfg.delay, abort: cfg.abort };
  }
  compiled.set(owner, out);
  return out ?? undefined;
}

/** The fault filter; stateless, shared by all requests. */
export class FaultFilter implements HttpFilter {
  readonly name = FAULT_FILTER_NAME;

  constructor(private readonly random: () => number = Math.random) {}

  decodeHeaders(s: ProxyStream): FilterStatus {
    const sel = s.selectRoute();
    if (sel.kind !== 'route') return FilterStatus.Continue;
    const f = faultOf(sel.route) ?? faultOf(sel.virtualHost);
    if (f === undefined) return FilterStatus.Continue;
    if (f.delayMs > 0 && f.delay !== undefined && fractionHit(f.delay.percentage, false, this.random)) {
      s.flag = addFlag(s.flag, 'DI');
      s.timer = setTimeout(onDelayDone, f.delayMs, s, f, this.random);
      return FilterStatus.Stop;
    }
    return abortOrContinue(s, f, this.random);
  }
}

function abortOrContinue(s: ProxyStream, f: CompiledFault, random: () => number): FilterStatus {
  const a = f.abort;
  if (a === undefined || !fractionHit(a.percentage, false, random)) return FilterStatus.Continue;
  if (a.httpStatus !== undefined && a.httpStatus !== 0) throw LocalReply.faultAbort(a.httpStatus);
  if (a.grpcStatus !== undefined) throw LocalReply.faultAbortGrpc(a.grpcStatus);
  return FilterStatus.Continue;
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
