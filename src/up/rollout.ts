/**
 * The rollout planner of `weft up`: given one Deployment's desired state (replicas, pod-template
 * key, strategy) and the pod instances running for it, the next steps — start an instance, promote
 * a ready one into the endpoints, retire one (out of the endpoints, then drained and stopped).
 * Pure: the same input gives the same steps; `rollout-controller.ts` executes them.
 *
 * Model. A Deployment has `replicas` slots; slot i is the pod `<deployment>-<i>` of the registry
 * (src/registry/build-registry.ts `podName`), whose endpoint points at the one instance *serving*
 * the slot. During a rollout a slot's new instance runs beside the old one at its own address (the
 * surge) and, once ready, replaces it in the endpoints in one push; the old one then leaves.
 *
 * Semantics follow Kubernetes' deployment controller (pkg/controller/deployment/rolling.go,
 * recreate.go, util/deployment_util.go `ResolveFenceposts`):
 * - RollingUpdate: at most `replicas + maxSurge` instances that are not terminating, at least
 *   `replicas - maxUnavailable` slots served by a ready instance; maxSurge is rounded up from a
 *   percentage, maxUnavailable down; both default to 25 %; when both resolve to 0, maxUnavailable
 *   is 1 (the API server refuses both explicitly 0). Terminating pods do not count against the
 *   surge, as in Kubernetes.
 * - Recreate: every instance of another template is retired, and new ones start only once all of
 *   them have terminated.
 * - Scale down retires the highest slots first; scale up starts the missing slots at once.
 */

/** A Deployment's `spec.strategy`, as written. */
export interface StrategySpec {
  readonly type?: 'Recreate' | 'RollingUpdate';
  readonly rollingUpdate?: { readonly maxSurge?: number | string; readonly maxUnavailable?: number | string };
}

/** A strategy with its fenceposts resolved against a replica count. */
export type ResolvedStrategy =
  | { readonly type: 'Recreate' }
  | { readonly type: 'RollingUpdate'; readonly maxSurge: number; readonly maxUnavailable: number };

/** Kubernetes' default for both `maxSurge` and `maxUnavailable`. */
export const DEFAULT_ROLLING_FENCEPOST = '25%';

/**
 * An int-or-percent against `total`, as Kubernetes' `GetScaledValueFromIntOrPercent`: an integer
 * is itself, "N%" is N % of total rounded up or down. Anything else counts as 0 (the schema in
 * src/config/schema/kubernetes-workload.ts refuses it before it gets here).
 */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : 0;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return /^\d+$/.test(value) ? Number(value) : 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Resolves `strategy` for `replicas` (Kubernetes' `ResolveFenceposts`). */
export function resolveStrategy(strategy: StrategySpec | undefined, replicas: number): ResolvedStrategy {
  if (strategy?.type === 'Recreate') return { type: 'Recreate' };
  const ru = strategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge ?? DEFAULT_ROLLING_FENCEPOST, replicas, true);
  let maxUnavailable = scaledValue(ru?.maxUnavailable ?? DEFAULT_ROLLING_FENCEPOST, replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { type: 'RollingUpdate', maxSurge, maxUnavailable };
}

/** One running pod instance of a Deployment, as the planner sees it. */
export interface InstanceView {
  readonly id: string;
  /** The slot (replica index) it serves or will serve. */
  readonly slot: number;
  /** The pod-template key it was started from. */
  readonly specKey: string;
  /** In the endpoints for its slot. */
  readonly serving: boolean;
  /** Its sidecar and app are ready (readiness probe passed). */
  readonly ready: boolean;
  /** Leaving: out of the endpoints, draining or stopping. */
  readonly retiring: boolean;
}

/** What the Deployment should look like (undefined: it was deleted). */
export interface DesiredDeployment {
  readonly replicas: number;
  readonly specKey: string;
  readonly strategy: ResolvedStrategy;
}

/** One step of a rollout. */
export type RolloutStep =
  | { readonly kind: 'start'; readonly slot: number }
  /** `id` enters the endpoints of its slot; `replaces` (the slot's previous instance) retires in the same push. */
  | { readonly kind: 'promote'; readonly id: string; readonly replaces?: string }
  | { readonly kind: 'retire'; readonly id: string; readonly reason: 'deleted' | 'scaled-down' | 'outdated' | 'superseded' };

/** The next steps for one Deployment. */
export function planRollout(desired: DesiredDeployment | undefined, instances: readonly InstanceView[]): RolloutStep[] {
  const steps: RolloutStep[] = [];
  const live = instances.filter((i) => !i.retiring);
  if (!desired) return live.map((i) => ({ kind: 'retire', id: i.id, reason: 'deleted' }));
  const retired = new Set<string>();
  const retire = (i: InstanceView, reason: Extract<RolloutStep, { kind: 'retire' }>['reason']) => {
    retired.add(i.id);
    steps.push({ kind: 'retire', id: i.id, reason });
  };
  // Scale down: slots past `replicas` go, highest first.
  for (const i of [...live].sort((a, b) => b.slot - a.slot)) if (i.slot >= desired.replicas) retire(i, 'scaled-down');
  // Instances of another template that never entered the endpoints are not wanted any more.
  for (const i of live) if (!retired.has(i.id) && !i.serving && i.specKey !== desired.specKey) retire(i, 'superseded');

  if (desired.strategy.type === 'Recreate') {
    const old = live.filter((i) => !retired.has(i.id) && i.specKey !== desired.specKey);
    for (const i of old) retire(i, 'outdated');
    // New pods only once every old one has terminated (Kubernetes' recreate.go).
    const oldStillRunning = instances.some((i) => i.specKey !== desired.specKey);
    if (oldStillRunning) return steps;
  }

  const bySlot = new Map<number, { serving?: InstanceView; fresh?: InstanceView }>();
  for (const i of live) {
    if (retired.has(i.id) || i.slot >= desired.replicas) continue;
    const s = bySlot.get(i.slot) ?? {};
    if (i.serving) s.serving = i;
    else if (i.specKey === desired.specKey) s.fresh = i;
    bySlot.set(i.slot, s);
  }
  // A ready new instance always enters the endpoints: replacing a slot's instance by a ready one
  // never lowers availability.
  for (const [, s] of bySlot) {
    if (s.fresh?.ready && (!s.serving || s.serving.specKey !== desired.specKey || !s.serving.ready)) {
      steps.push({ kind: 'promote', id: s.fresh.id, replaces: s.serving?.id });
      if (s.serving) retired.add(s.serving.id);
      s.serving = s.fresh;
      s.fresh = undefined;
    }
  }

  const maxSurge = desired.strategy.type === 'RollingUpdate' ? desired.strategy.maxSurge : 0;
  const maxUnavailable = desired.strategy.type === 'RollingUpdate' ? desired.strategy.maxUnavailable : desired.replicas;
  let total = live.filter((i) => !retired.has(i.id)).length;
  let available = 0;
  for (const [, s] of bySlot) if (s.serving?.ready && !retired.has(s.serving.id)) available++;
  const minAvailable = desired.replicas - maxUnavailable;
  for (let slot = 0; slot < desired.replicas; slot++) {
    const s = bySlot.get(slot) ?? {};
    const current = s.serving && !retired.has(s.serving.id) ? s.serving : undefined;
    if (s.fresh || current?.specKey === desired.specKey) continue; // up to date, or its new instance is starting
    if (!current) {
      // An empty slot (new, or its instance left): fill it.
      steps.push({ kind: 'start', slot });
      total++;
      continue;
    }
    if (total < desired.replicas + maxSurge) {
      // Surge: the new instance starts beside the old one, which serves until it is replaced.
      steps.push({ kind: 'start', slot });
      total++;
      continue;
    }
    // No room to surge: take the old instance out first if availability allows.
    const loses = current.ready ? 1 : 0;
    if (available - loses >= minAvailable) {
      retire(current, 'outdated');
      available -= loses;
      steps.push({ kind: 'start', slot });
    }
  }
  return steps;
}
