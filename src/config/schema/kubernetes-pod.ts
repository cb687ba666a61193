/**
 * A bare Kubernetes Pod (core v1) as a workload source (issue 12): `weft up` runs it as one pod
 * with a sidecar, exactly as one replica of a Deployment whose template is this Pod (its labels,
 * annotations and spec), and the registry lists it under its own name so Services select it and
 * analyzers see it. The spec is the pod spec a Deployment's template takes (kubernetes-workload.ts),
 * checked by the same rules as the API server's (container names, ports, env, probes).
 */
import { defineKind, IssueSink } from './common.js';
import { checkPodTemplate, podSpecSchema, type PodSpec } from './kubernetes-workload.js';

function normalizePod(spec: PodSpec): PodSpec {
  if (spec.serviceAccount === undefined || (spec.serviceAccountName !== undefined && spec.serviceAccountName !== '')) return spec;
  return { ...spec, serviceAccountName: spec.serviceAccount };
}

function checkPod(spec: PodSpec, sink: IssueSink): void {
  // checkPodTemplate reports paths under `spec`; the Pod's own sink already prefixes `spec`.
  const inner = new IssueSink([]);
  checkPodTemplate({ spec }, inner, []);
  for (const i of inner.issues) {
    const path = i.path[0] === 'spec' ? i.path.slice(1) : i.path;
    if (i.level === 'Error') sink.error(path, i.message, i.code);
    else sink.warn(path, i.message, i.code);
  }
}

/** Pod, core v1. */
export const podKind = defineKind<PodSpec>({
  kind: 'Pod',
  group: '',
  versions: ['v1'],
  plural: 'pods',
  namespaced: true,
  schema: podSpecSchema,
  normalize: normalizePod,
  check: checkPod,
});
