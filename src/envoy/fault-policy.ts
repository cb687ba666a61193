/**
 * The per-route config of Envoy's fault filter (`envoy.filters.http.fault`, HTTPFault in
 * envoy/extensions/filters/http/fault/v3/fault.proto), compiled once and read the same way by the
 * proxy's fault filter, the simulator and `weft explain`: a fixed delay injected with its
 * percentage, then an abort with an HTTP status, or a gRPC status, with its percentage. Each part is
 * sampled independently per request; an unset `percentage` is the proto default FractionalPercent
 * (numerator 0), so a delay or abort without a percentage injects nothing (Envoy's
 * `FaultAbortConfig`/`FaultDelayConfig` read it through `featureEnabled(…, percentage)`; istiod
 * writes the percentage only when the VirtualService gives one). A delay of 0 and an abort with
 * neither status (or HTTP status 0) inject nothing. The most specific `typedPerFilterConfig` wins:
 * the route's, else the virtual host's.
 */
import { durationMs } from './duration.js';
import { fractionHit, fractionPercent } from './fractional-percent.js';
import type { HttpFault, Route, VirtualHost } from './types.js';

/** Name of the filter and key of its per-route config. */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';

/** An abort the fault filter answers with: an HTTP status, or a gRPC status (HTTP 200 with `grpc-status`). */
export type FaultAbort = { readonly httpStatus: number } | { readonly grpcStatus: number };

/** A compiled fault policy. */
export interface CompiledFault {
  /** The config it came from. */
  readonly config: HttpFault;
  /** Fixed delay (ms); 0 = no delay part. */
  readonly delayMs: number;
  readonly delay: HttpFault['delay'];
  readonly abort: HttpFault['abort'];
  /** What an injected abort answers; undefined = no abort part. */
  readonly abortWith: FaultAbort | undefined;
  /** Share of requests delayed, 0–100 (0 when there is no delay part). */
  readonly delayPercent: number;
  /** Share of requests (of those reaching the abort) aborted, 0–100 (0 when there is no abort part). */
  readonly abortPercent: number;
}

/** Compiles an HTTPFault; undefined when it has neither a delay nor an abort part. */
export function compileFault(cfg: HttpFault | undefined): CompiledFault | undefined {
  if (cfg === undefined || (cfg.delay === undefined && cfg.abort === undefined)) return undefined;
  const delayMs = durationMs(cfg.delay?.fixedDelay) ?? 0;
  const a = cfg.abort;
  const abortWith: FaultAbort | undefined = a === undefined ? undefined
    : a.httpStatus !== undefined && a.httpStatus !== 0 ? { httpStatus: a.httpStatus }
    : a.grpcStatus !== undefined ? { grpcStatus: a.grpcStatus }
    : undefined;
  return {
    config: cfg,
    delayMs,
    delay: cfg.delay,
    abort: cfg.abort,
    abortWith,
    delayPercent: delayMs > 0 && cfg.delay !== undefined ? fractionPercent(cfg.delay.percentage, 0) : 0,
    abortPercent: abortWith !== undefined ? fractionPercent(a?.percentage, 0) : 0,
  };
}

const compiled = new WeakMap<object, CompiledFault | null>();

/** The compiled fault config of a route or virtual host, cached per config object (undefined when it has none). */
export function faultOf(owner: Route | VirtualHost): CompiledFault | undefined {
  const hit = compiled.get(owner);
  if (hit !== undefined) return hit ?? undefined;
  const out = compileFault(owner.typedPerFilterConfig?.[FAULT_FILTER_NAME] as HttpFault | undefined) ?? null;
  compiled.set(owner, out);
  return out ?? undefined;
}

/** The fault in force for a selected route: the route's, else its virtual host's. */
export function routeFault(route: Route, vh: VirtualHost | undefined): CompiledFault | undefined {
  return faultOf(route) ?? (vh !== undefined ? faultOf(vh) : undefined);
}

/** True when this request is delayed (its delay part sampled with its percentage). */
export function delayInjected(f: CompiledFault, random: () => number = Math.random): boolean {
  return f.delayMs > 0 && f.delay !== undefined && fractionHit(f.delay.percentage, false, random);
}

/** The abort this request gets, sampled with the abort's percentage; undefined = not aborted. */
export function abortInjected(f: CompiledFault, random: () => number = Math.random): FaultAbort | undefined {
  if (f.abortWith === undefined || !fractionHit(f.abort?.percentage, false, random)) return undefined;
  return f.abortWith;
}
