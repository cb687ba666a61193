/**
 * Runs the Deployments of `weft up` the way a kubelet and Kubernetes' deployment controller
 * would, without failing a request: it keeps the pod instances of every Deployment, asks the
 * planner (rollout.ts) for the next steps after every config or readiness change, and carries
 * them out:
 * - start: a new instance (own loopback address, sidecar first, then the app) beside the old one;
 * - promote: once ready, the instance becomes the endpoint of its slot `<deployment>-<i>` (the
 *   registry's pod), replacing the previous instance in the same push;
 * - retire: the instance leaves the endpoints; once every proxy has ACKed that (push-ack.ts) it
 *   is terminated — preStop, sidecar drain, SIGTERM, SIGKILL after the grace period
 *   (PodRunner.terminate).
 * The registry asks it for each slot's address and health (`podAddress`, `isHealthy`), so the
 * endpoints always name the serving instance, healthy only while it is ready.
 */
import type { Resource } from '../config/resource.js';
import type { PodIdentity } from '../registry/build-registry.js';
import type { Workload } from '../registry/types.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';
import type { AddressAllocator, PodAddresses } from './address-allocator.js';
import type { PodReport } from './control-link.js';
import { planPods, type PodPlan } from './pod-plan.js';
import type { PodRunner } from './pod-runner.js';
import { syncBaseline, waitForProxiesToHaveChange, type SyncBaseline } from './push-ack.js';
import { planRollout, resolveStrategy, type DesiredDeployment, type InstanceView } from './rollout.js';
import { isPod } from '../registry/pod-workload.js';

/** What the controller needs from the mesh (only calls the control plane already offers). */
export interface RolloutHost {
  /** Current resources (the store's). */
  resources(): readonly Resource[];
  /** Working directory of Deployments not read from a file. */
  readonly baseDir: string;
  readonly allocator: AddressAllocator;
  /** Rebuilds the registry (slot addresses or health changed) and pushes. */
  refresh(): void;
  /** Per-proxy sync status (ControlPlane.syncStatus); rejects while the control plane is down. */
  syncStatus(): Promise<readonly ProxySyncStatus[]>;
  /** Creates (does not start) a pod instance. */
  createPod(plan: PodPlan, addresses: PodAddresses): PodRunner;
  /** Asks for another reconcile pass (serialized by the mesh). */
  requestReconcile(): void;
  /** Something visible changed (status display, readiness announcement). */
  changed(): void;
  /** A line the user should see. */
  warn?(line: string): void;
}

interface Instance {
  readonly id: string;
  /** `namespace/deployment`. */
  readonly deployment: string;
  /** `namespace/<deployment>-<replica>`: the registry's pod. */
  readonly slotKey: string;
  readonly slot: number;
  readonly pod: PodRunner;
  serving: boolean;
  retiring: boolean;
  wasReady: boolean;
}

/** The pod instances of every Deployment and their rollouts. */
export class RolloutController {
  private readonly instances = new Map<string, Instance>();
  private readonly generations = new Map<string, number>();
  private pendingBaseline?: Promise<SyncBaseline>;
  private readonly abort = new AbortController();
  /** ProxyConfig warnings already printed (once each). */
  private readonly warned = new Set<string>();

  /** `pods`: the mesh's map of running pods, kept here by instance id. */
  constructor(private readonly host: RolloutHost, readonly pods: Map<string, PodRunner>) {}

  /**
   * Call as soon as the control plane announces a config change: proxies' sync state now is the
   * baseline a removal in that change is measured against. (A child control plane may already
   * have sent that push: a proxy that has it is STALE until it ACKs, and one that ACKed counts
   * once the wait settles, so the removal is still ACKed before the pod stops.)
   */
  noteConfigChange(): void {
    this.pendingBaseline ??= this.baseline();
  }

  /** Every registry pod (slot) with its serving instance's address and health, as a child control plane needs them. */
  slotReports(): PodReport[] {
    const slots = new Map<string, { namespace: string; name: string }>();
    for (const i of this.instances.values()) slots.set(i.slotKey, { namespace: i.pod.plan.namespace, name: i.pod.plan.name });
    return [...slots.entries()].map(([slotKey, pod]) => ({ ...pod, address: this.podAddress(pod), healthy: this.slotHealthy(slotKey) }));
  }

  /** The address of the registry's pod (a slot): its serving instance's, else its newest instance's. */
  podAddress(pod: Pick<PodIdentity, 'namespace' | 'name'>): string {
    const slotKey = `${pod.namespace}/${pod.name}`;
    const inSlot = [...this.instances.values()].filter((i) => i.slotKey === slotKey && !i.retiring);
    const chosen = inSlot.find((i) => i.serving) ?? inSlot[inSlot.length - 1];
    return chosen?.pod.addresses.podIp ?? this.host.allocator.addressesFor(pod.namespace, pod.name).podIp;
  }

  /** Endpoint health of a registry pod: its serving instance's sidecar and app are ready. */
  isHealthy(w: Workload): boolean {
    return !isPod(w) || this.slotHealthy(`${w.namespace}/${w.name}`);
  }

  /** Whether slot `namespace/name` has a serving instance whose sidecar and app are ready. */
  private slotHealthy(slotKey: string): boolean {
    for (const i of this.instances.values()) if (i.slotKey === slotKey && i.serving) return i.pod.appReady && i.pod.sidecarReady;
    return false;
  }

  /** One pass: plan every Deployment and carry the steps out. */
  async reconcile(): Promise<void> {
    const baselineAtChange = this.pendingBaseline;
    this.pendingBaseline = undefined;
    const plans = new Map<string, PodPlan[]>();
    for (const p of planPods(this.host.resources(), this.host.baseDir)) {
      // A bare Pod is its own one-replica "deployment", kept apart from a Deployment of the same name.
      const key = p.barePod ? `${p.namespace}/pod:${p.deployment}` : `${p.namespace}/${p.deployment}`;
      const list = plans.get(key) ?? [];
      list.push(p);
      plans.set(key, list);
    }
    const deployments = new Set<string>([...plans.keys(), ...[...this.instances.values()].map((i) => i.deployment)]);
    const leaving: Instance[] = [];
    let promoted = false;
    for (const key of [...deployments].sort()) {
      const ps = (plans.get(key) ?? []).sort((a, b) => a.replica - b.replica);
      const desired: DesiredDeployment | undefined = ps[0]
        ? { replicas: ps.length, specKey: ps[0].specKey, strategy: resolveStrategy(ps[0].strategy, ps.length) }
        : undefined;
      const mine = [...this.instances.values()].filter((i) => i.deployment === key);
      for (const step of planRollout(desired, mine.map(view))) {
        if (step.kind === 'start') {
          const plan = ps[step.slot];
          if (plan) this.start(key, plan);
        } else if (step.kind === 'promote') {
          const i = this.instances.get(step.id);
          if (!i) continue;
          i.serving = true;
          promoted = true;
          const old = step.replaces ? this.instances.get(step.replaces) : undefined;
          if (old) leaving.push(this.markRetiring(old));
        } else {
          const i = this.instances.get(step.id);
          if (i) leaving.push(this.markRetiring(i));
        }
      }
    }
    if (leaving.length > 0 || promoted) {
      // Taken before this pass's push (refresh) goes out.
      const baseline = (await baselineAtChange) ?? (await this.baseline());
      this.host.refresh();
      if (leaving.length > 0) void this.terminateAfterAck(leaving, baseline);
    }
    this.host.changed();
  }

  /** The proxies' sync state now (empty while the control plane is down: the wait then times out and warns). */
  private baseline(): Promise<SyncBaseline> {
    return this.host.syncStatus().then(syncBaseline, () => new Map());
  }

  /** Stops every instance at once (the mesh is shutting down). */
  async stopAll(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.instances.values()].map((i) => i.pod.stop()));
  }

  private start(deployment: string, plan: PodPlan): void {
    for (const f of plan.unsupportedProxyConfig) {
      const line = `weft up: WARNING: Deployment ${plan.namespace}/${plan.deployment}: ${f} is not applied by Weft (only terminationDrainDuration is)`;
      if (!this.warned.has(line)) this.host.warn?.(line);
      this.warned.add(line);
    }
    const slotKey = `${plan.namespace}/${plan.name}`;
    const gen = this.generations.get(slotKey) ?? 0;
    this.generations.set(slotKey, gen + 1);
    // The first instance of a slot has the slot's own address (as before rollouts existed).
    const id = gen === 0 ? slotKey : `${slotKey}#${gen}`;
    const addresses = this.host.allocator.addressesFor(plan.namespace, gen === 0 ? plan.name : `${plan.name}#${gen}`);
    const pod = this.host.createPod(plan, addresses);
    const inst: Instance = { id, deployment, slotKey, slot: plan.replica, pod, serving: false, retiring: false, wasReady: false };
    this.instances.set(id, inst);
    this.pods.set(id, pod);
    pod.on('change', () => this.onPodChange(inst));
    pod.start();
  }

  private onPodChange(i: Instance): void {
    const ready = instanceReady(i.pod);
    if (ready !== i.wasReady && !i.retiring) {
      i.wasReady = ready;
      // A serving instance's health is its slot's endpoint health; a new one may now be promoted.
      if (i.serving) this.host.refresh();
      // The pass promotes it and then reports the change, so "all ready" is only seen once the
      // endpoint is healthy in the pushed config.
      this.host.requestReconcile();
      return;
    }
    this.host.changed();
  }

  private markRetiring(i: Instance): Instance {
    i.serving = false;
    i.retiring = true;
    return i;
  }

  private async terminateAfterAck(leaving: readonly Instance[], baseline: SyncBaseline): Promise<void> {
    const exclude = new Set(leaving.map((i) => i.pod.proxyId));
    const acked = await waitForProxiesToHaveChange(() => this.host.syncStatus(), baseline, exclude, { signal: this.abort.signal });
    if (this.abort.signal.aborted) return;
    if (!acked) this.host.warn?.(`weft up: WARNING: not every proxy ACKed the removal of ${leaving.map((i) => i.id).join(', ')} within 10 s; stopping it anyway`);
    await Promise.all(leaving.map(async (i) => {
      await i.pod.terminate();
      this.instances.delete(i.id);
      if (this.pods.get(i.id) === i.pod) this.pods.delete(i.id);
    }));
    this.host.requestReconcile();
  }
}

function instanceReady(pod: PodRunner): boolean {
  // A container without a command has no app to wait for.
  return pod.sidecarReady && (pod.appReady || pod.plan.argv.length === 0);
}

function view(i: Instance): InstanceView {
  return { id: i.id, slot: i.slot, specKey: i.pod.plan.specKey, serving: i.serving, ready: instanceReady(i.pod), retiring: i.retiring };
}
