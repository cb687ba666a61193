/**
 * A container's `readinessProbe` run as the kubelet runs it (pkg/kubelet/prober/worker.go): the
 * pod starts not ready; the first probe runs `initialDelaySeconds` after the container started,
 * then every `periodSeconds` (default 10, minimum 1), each bounded by `timeoutSeconds` (default 1);
 * `successThreshold` consecutive successes (default 1) make it ready, `failureThreshold`
 * consecutive failures (default 3) make it not ready again. Probing goes on while the container
 * runs, so a pod can leave and re-enter the endpoints.
 */
import type { Probe } from '../config/schema/kubernetes-workload.js';
import { runHandler, type HandlerContext } from './container-handler.js';

/** A probe's timing, with Kubernetes' defaults applied. */
export interface ProbeTiming {
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

/** The timing of `probe` (Kubernetes' defaults and minimums). */
export function probeTiming(probe: Probe): ProbeTiming {
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, probe.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

/** Readiness and the current run of equal results. */
export interface ProbeState {
  readonly ready: boolean;
  readonly successes: number;
  readonly failures: number;
}

/** The initial state: not ready. */
export const INITIAL_PROBE_STATE: ProbeState = { ready: false, successes: 0, failures: 0 };

/** The state after one probe result (the kubelet's threshold counting). */
export function nextProbeState(s: ProbeState, ok: boolean, t: ProbeTiming): ProbeState {
  if (ok) {
    const successes = s.successes + 1;
    return { ready: s.ready || successes >= t.successThreshold, successes, failures: 0 };
  }
  const failures = s.failures + 1;
  return { ready: s.ready && failures < t.failureThreshold, successes: 0, failures };
}

/** Whether `probe` has a handler Weft runs (gRPC probes are not run: such a pod is ready when its port accepts connections). */
export function runnableProbe(probe: Probe | undefined): probe is Probe {
  return probe !== undefined && (probe.httpGet !== undefined || probe.tcpSocket !== undefined || probe.exec !== undefined);
}

/**
 * Probes until `signal` aborts, calling `onChange` whenever readiness flips. Never rejects.
 */
export async function runReadinessProbe(probe: Probe, ctx: HandlerContext, onChange: (ready: boolean) => void, signal: AbortSignal): Promise<void> {
  const t = probeTiming(probe);
  let state = INITIAL_PROBE_STATE;
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  await sleep(t.initialDelayMs);
  while (!signal.aborted) {
    const started = Date.now();
    const ok = await runHandler(probe, ctx, t.timeoutMs);
    if (signal.aborted) return;
    const next = nextProbeState(state, ok, t);
    if (next.ready !== state.ready) onChange(next.ready);
    state = next;
    await sleep(Math.max(0, t.periodMs - (Date.now() - started)));
  }
}
