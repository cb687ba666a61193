/**
 * Reuse of a snapshot's registry by the next snapshot. The registry depends only on the resources
 * of the kinds it reads ({@link REGISTRY_KINDS}), on the set of namespaces any resource lives in,
 * on the mesh config and on the registry options (pod addresses, health). A change of another kind
 * (a VirtualService, a DestinationRule) leaves all of these unchanged: the config store hands out
 * the very same resource object while a resource is unchanged, so comparing the registry's input
 * resources by identity tells whether the previous registry — the very same Service and Workload
 * objects — can be used again. Downstream caches keyed on those objects (translation keys) then
 * carry over from one snapshot to the next.
 *
 * The options' functions must answer the same for the same pod while they are the same functions
 * (`weft up` signals health changes by rebuilding without reuse, see ControlPlane.refresh).
 */
import type { Resource } from '../config/resource.js';
import type { Registry } from './types.js';
import { REGISTRY_KINDS, type RegistryOptions } from './build-registry.js';
import type { MeshConfig } from '../config/mesh-config.js';

/** What a registry was built from: enough to tell whether another build would give the same. */
export interface RegistryInputs {
  /** Resources of the registry's kinds, in the snapshot's order. */
  readonly resources: readonly Resource[];
  /** Every namespace a resource lives in, sorted and joined. */
  readonly namespaces: string;
  readonly meshConfig: MeshConfig;
  readonly podAddress: RegistryOptions['podAddress'];
  readonly isHealthy: RegistryOptions['isHealthy'];
}

/** The registry inputs of `resources` (sorted as the snapshot sorts them) under `options`. */
export function registryInputs(resources: readonly Resource[], meshConfig: MeshConfig, options: RegistryOptions | undefined): RegistryInputs {
  const own: Resource[] = [];
  const namespaces = new Set<string>();
  for (const r of resources) {
    if (r.metadata.namespace) namespaces.add(r.metadata.namespace);
    if (REGISTRY_KINDS.has(r.kind)) own.push(r);
  }
  return {
    resources: own,
    namespaces: [...namespaces].sort().join('\n'),
    meshConfig,
    podAddress: options?.podAddress,
    isHealthy: options?.isHealthy,
  };
}

/** True when a registry built from `a` would equal one built from `b` (resources compared by identity). */
export function sameRegistryInputs(a: RegistryInputs, b: RegistryInputs): boolean {
  if (a.meshConfig !== b.meshConfig || a.podAddress !== b.podAddress || a.isHealthy !== b.isHealthy) return false;
  if (a.namespaces !== b.namespaces || a.resources.length !== b.resources.length) return false;
  for (let i = 0; i < a.resources.length; i++) if (a.resources[i] !== b.resources[i]) return false;
  return true;
}

const built = new WeakMap<Registry, RegistryInputs>();

/** Records what `registry` was built from; returns `registry`. */
export function rememberRegistryInputs(registry: Registry, inputs: RegistryInputs): Registry {
  built.set(registry, inputs);
  return registry;
}

/** `previous` when it was built from inputs equal to `inputs`, else undefined. */
export function reusableRegistry(previous: Registry | undefined, inputs: RegistryInputs): Registry | undefined {
  if (!previous) return undefined;
  const before = built.get(previous);
  return before && sameRegistryInputs(before, inputs) ? previous : undefined;
}
