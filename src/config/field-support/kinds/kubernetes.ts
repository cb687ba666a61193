/**
 * Kubernetes kinds: entries only for the fields Weft reads. Every other field a kind's schema accepts
 * is deliberately ignored, without a warning on each manifest (the `otherFields` rule): Weft builds
 * its registry from Services and their endpoints and runs a Deployment's first container as a local
 * process, so images, resources, volumes, scheduling and the like have nothing to act on.
 */
import type { FieldTable } from '../types.js';
import { each, enforced, enforcedUntested, unsupported } from '../types.js';
import { T } from '../tests.js';

/** Service fields the registry reads (`src/registry/build-registry.ts`). */
export const serviceFields: FieldTable = {
  'spec.selector': enforced(T.endpoints, 'one assignment per EDS cluster; each subset holds exactly the endpoints of its version'),
  'spec.ports[].port': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
  'spec.ports[].name': enforced(T.registry, 'protocol selection follows Istio: appProtocol, then name prefix'),
  'spec.ports[].protocol': enforced(T.registry, 'protocol selection follows Istio: appProtocol, then name prefix'),
  'spec.ports[].appProtocol': enforced(T.registry, 'protocol selection follows Istio: appProtocol, then name prefix'),
  'spec.ports[].targetPort': enforced(T.inboundClusters, 'named target ports resolve against the workload; gateways and unselected workloads get none'),
  'spec.clusterIP': enforcedUntested('None makes a headless service'),
  'spec.type': enforcedUntested('ExternalName services resolve to spec.externalName'),
  'spec.externalName': enforcedUntested('DNS name of an ExternalName service'),
};

/** Endpoints fields the registry reads. */
export const endpointsFields: FieldTable = {
  ...each(['subsets[].addresses[].ip', 'subsets[].notReadyAddresses[].ip', 'subsets[].ports[].name', 'subsets[].ports[].port'], enforced(T.registry, 'selector-less Services take Endpoints manifests, not-ready addresses unhealthy')),
  'subsets[].addresses[].targetRef.name': enforcedUntested('names the pod behind an address'),
};

/** EndpointSlice fields the registry reads. */
export const endpointSliceFields: FieldTable = each(
  ['endpoints[].addresses', 'endpoints[].conditions.ready', 'ports[].name', 'ports[].port'],
  enforcedUntested('endpoints of a selector-less Service'),
);

/** Deployment fields `weft up` reads (`src/up/pod-plan.ts`) and the registry uses for workloads. */
export const deploymentFields: FieldTable = {
  'spec.replicas': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
  'spec.template.metadata.labels': enforced(T.endpoints, 'one assignment per EDS cluster; each subset holds exactly the endpoints of its version'),
  'spec.template.spec.serviceAccountName': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
  'spec.template.spec.serviceAccount': enforcedUntested('deprecated spelling of serviceAccountName'),
  'spec.template.spec.containers[].command': enforcedUntested('the process weft up runs (first container)'),
  'spec.template.spec.containers[].args': enforcedUntested('its arguments, with $(VAR) expansion'),
  ...each(
    [
      'spec.template.spec.containers[].env[].name', 'spec.template.spec.containers[].env[].value',
      'spec.template.spec.containers[].env[].valueFrom.fieldRef.fieldPath',
      'spec.template.spec.containers[].env[].valueFrom.secretKeyRef.name', 'spec.template.spec.containers[].env[].valueFrom.secretKeyRef.key',
      'spec.template.spec.containers[].env[].valueFrom.configMapKeyRef.name', 'spec.template.spec.containers[].env[].valueFrom.configMapKeyRef.key',
    ],
    enforcedUntested('environment of the process'),
  ),
  // Rollouts under `weft up` (src/up/rollout.ts, rollout-controller.ts, readiness-probe.ts, pod-runner.ts).
  'spec.strategy.type': enforced(T.rollout, 'three replicas with maxUnavailable 0 roll out three times under 200 rps: no failed request', 'RollingUpdate and Recreate'),
  'spec.strategy.rollingUpdate.maxSurge': enforced(T.rollout, 'three replicas with maxUnavailable 0 roll out three times under 200 rps: no failed request'),
  'spec.strategy.rollingUpdate.maxUnavailable': enforced(T.rollout, 'three replicas with maxUnavailable 0 roll out three times under 200 rps: no failed request'),
  ...each(
    ['httpGet.path', 'httpGet.port', 'httpGet.host', 'httpGet.scheme', 'httpGet.httpHeaders[].name', 'httpGet.httpHeaders[].value', 'tcpSocket.port', 'tcpSocket.host', 'exec.command',
      'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'].map((f) => `spec.template.spec.containers[].readinessProbe.${f}`),
    enforced(T.rollout, 'readinessProbe and preStop: a warming-up app gets traffic only once ready; preStop runs before SIGTERM', 'the first container\'s probe gates its endpoint, with the kubelet\'s timing'),
  ),
  ...each(['spec.template.spec.containers[].readinessProbe.grpc.port', 'spec.template.spec.containers[].readinessProbe.grpc.service'],
    unsupported('gRPC readiness probes are not run: the pod is ready when its port accepts connections')),
  'spec.template.spec.containers[].lifecycle': enforced(T.rollout, 'readinessProbe and preStop: a warming-up app gets traffic only once ready; preStop runs before SIGTERM', 'preStop (exec, httpGet, tcpSocket, sleep) runs before SIGTERM; postStart is not run'),
  'spec.template.spec.terminationGracePeriodSeconds': enforcedUntested('SIGKILL after the grace period (counted from preStop), as the kubelet'),
  'spec.template.spec.containers[].ports[].containerPort': enforced(T.registry, 'Services select Deployment pods (named target ports) and WorkloadEntries in their namespace'),
};

/** Secret and ConfigMap content (referenced by env and gateway credentials). */
export const secretFields: FieldTable = {
  'data': enforced(T.gatewaySecrets, 'listeners reference istiod names; key pair inline, CA from the -cacert Secret; the workload namespace only'),
  'stringData': enforcedUntested('merged over data, as the API server does'),
  'type': enforcedUntested('checked: a kubernetes.io/tls Secret needs tls.crt and tls.key'),
};
/** ConfigMap content. */
export const configMapFields: FieldTable = { 'data': enforcedUntested('values for configMapKeyRef') };

/** The test that proves a bare Pod runs under `weft up` and Services select it (issue 12). */
const BARE_POD_TEST = 'weft up runs a bare Pod with a sidecar: a Service selecting it is reachable through the mesh, under its own name and service account';

/**
 * Pod fields: a bare Pod runs as one replica of a Deployment whose template it is (the same code,
 * src/up/pod-plan.ts), so its spec's entries are the Deployment template's, under `spec.`.
 */
export const podFields: FieldTable = {
  ...Object.fromEntries(Object.entries(deploymentFields).filter(([p]) => p.startsWith('spec.template.spec.')).map(([p, f]) => [
    `spec.${p.slice('spec.template.spec.'.length)}`,
    f.status === 'enforced' ? enforcedUntested(f.note ?? 'as for a Deployment\'s pod template (the same code runs both)') : f,
  ])),
  'spec.containers[].command': enforced(T.loadAround, BARE_POD_TEST),
  'spec.containers[].ports[].containerPort': enforced(T.loadAround, BARE_POD_TEST),
  'spec.serviceAccountName': enforced(T.loadAround, BARE_POD_TEST),
  'spec.restartPolicy': unsupported('weft up restarts a pod\'s app with back-off whenever it exits, as restartPolicy Always; OnFailure and Never are not followed'),
};
