/**
 * Where `weft explain` reads the mesh from, turned into one model snapshot:
 *
 * - files (`-f PATH…`): loaded as `weft analyze` loads them; every pod gets a placeholder address
 *   (`10.0.<n/256>.<n%256>`, in snapshot order) so endpoints exist without a running mesh;
 * - the running mesh: the manifests of `/debug/configz` re-loaded, with each pod's address taken
 *   from `/debug/registryz`, so the snapshot is the control plane's (endpoint health is not
 *   published there: endpoints read HEALTHY).
 *
 * Also the analysis of the same config (with the built-in ingress gateway, as `weft analyze` runs
 * it), so explain can show what analysis says about the resources on a request's path.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import { loadPaths, loadTexts } from '../config/load.js';
import type { Resource } from '../config/resource.js';
import { defaultIngressResources, INTERNAL_INGRESS_FILE } from '../analyze/defaults.js';
import { runAnalyzers } from '../analyze/run-analyzers.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';
import { buildSnapshot, type MeshSnapshot } from '../model/snapshot.js';

/** A snapshot plus what loading and analysis said about its config. */
export interface ExplainConfig {
  readonly snapshot: MeshSnapshot;
  readonly resources: readonly Resource[];
  /** Loader diagnostics (resources that failed validation are not in the snapshot). */
  readonly loadDiagnostics: readonly Diagnostic[];
  /** Where the config came from, for the report (`files: a, b` or `mesh at URL`). */
  readonly origin: string;
}

/** `/debug/configz`'s answer. */
export interface ConfigzBody {
  readonly items: readonly Record<string, unknown>[];
  readonly diagnostics?: readonly Diagnostic[];
}

/** `/debug/registryz`'s answer, as far as explain reads it. */
export interface RegistryzBody {
  readonly workloads: readonly { readonly name: string; readonly namespace: string; readonly address?: string }[];
}

/** The placeholder address of the n-th pod (0-based) when explaining files. */
export function placeholderAddress(n: number): string {
  return `10.0.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** Loads files and directories into a snapshot with placeholder pod addresses. */
export async function configFromFiles(paths: readonly string[], meshConfig: MeshConfig = DEFAULT_MESH_CONFIG, stdin?: () => Promise<string>): Promise<ExplainConfig> {
  const loaded = await loadPaths(paths, stdin);
  let next = 1;
  const given = new Map<string, string>();
  const snapshot = buildSnapshot({
    resources: loaded.resources,
    meshConfig,
    registry: {
      podAddress: (pod) => {
        const key = `${pod.namespace}/${pod.name}`;
        let a = given.get(key);
        if (!a) given.set(key, (a = placeholderAddress(next++)));
        return a;
      },
    },
  });
  return { snapshot, resources: loaded.resources, loadDiagnostics: loaded.diagnostics, origin: `files: ${paths.join(', ')}` };
}

/** Rebuilds the running mesh's snapshot from its config and registry debug answers. */
export function configFromMesh(configz: ConfigzBody, registryz: RegistryzBody, meshConfig: MeshConfig = DEFAULT_MESH_CONFIG, server = 'the control plane'): ExplainConfig {
  const text = configz.items.map((m) => JSON.stringify(m)).join('\n---\n');
  const loaded = loadTexts([{ file: '<mesh>', text }]);
  const addresses = new Map(registryz.workloads.filter((w) => w.address).map((w) => [`${w.namespace}/${w.name}`, w.address!]));
  const snapshot = buildSnapshot({
    resources: loaded.resources,
    meshConfig,
    registry: { podAddress: (pod) => addresses.get(`${pod.namespace}/${pod.name}`) },
  });
  return {
    snapshot,
    resources: loaded.resources,
    loadDiagnostics: [...(configz.diagnostics ?? []), ...loaded.diagnostics],
    origin: `running mesh at ${server}`,
  };
}

/** Analyzer and loader messages for the config (as `weft analyze` would report them). */
export function analysisOf(config: ExplainConfig): Diagnostic[] {
  const mesh = config.snapshot.meshConfig;
  const resources = [...config.resources, ...defaultIngressResources(config.resources, mesh)];
  const found = runAnalyzers(buildSnapshot({ resources, meshConfig: mesh })).filter((m) => m.source?.file !== INTERNAL_INGRESS_FILE);
  return [...config.loadDiagnostics, ...found];
}
