/**
 * apps/v1 Deployment with its pod template, as users bring it from real manifests. The fields Weft
 * reads (container name, command, args, env, ports, probes; the pod's service account, containers
 * and init containers) are typed and checked; every other documented PodSpec and Container field is
 * accepted by name, so typos still fail. Deployment rules are the API server's: a non-empty selector
 * that matches the template's labels, replicas ≥ 0, strategy consistency.
 */
import { z } from 'zod';
import { defineKind, int, type IssueSink } from './common.js';
import { checkLabelSelector, checkLabels, isDns1123Label, isDns1123Subdomain, isIanaSvcName, labelSelector, selectorMatches } from './kubernetes-names.js';

type Path = (string | number)[];

const intOrString = z.union([int, z.string()], { error: 'must be an integer or a string' });
const opaque = z.unknown().optional();

const httpGet = z.strictObject({
  path: z.string().optional(),
  port: intOrString,
  host: z.string().optional(),
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  httpHeaders: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
});

const probe = z.strictObject({
  httpGet: httpGet.optional(),
  tcpSocket: z.strictObject({ port: intOrString, host: z.string().optional() }).optional(),
  exec: z.strictObject({ command: z.array(z.string()).optional() }).optional(),
  grpc: z.strictObject({ port: int, service: z.string().nullable().optional() }).optional(),
  initialDelaySeconds: int.optional(),
  timeoutSeconds: int.optional(),
  periodSeconds: int.optional(),
  successThreshold: int.optional(),
  failureThreshold: int.optional(),
  terminationGracePeriodSeconds: int.nullable().optional(),
});
/** A container probe; Weft runs `httpGet` probes. */
export type Probe = z.infer<typeof probe>;

const keyRef = z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

const envVar = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.strictObject({
    fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
    resourceFieldRef: z.strictObject({ containerName: z.string().optional(), resource: z.string(), divisor: intOrString.optional() }).optional(),
    configMapKeyRef: keyRef.optional(),
    secretKeyRef: keyRef.optional(),
    fileKeyRef: z.strictObject({ volumeName: z.string(), path: z.string(), key: z.string(), optional: z.boolean().optional() }).optional(),
  }).optional(),
});
/** One environment variable. */
export type EnvVar = z.infer<typeof envVar>;

const containerPort = z.strictObject({
  containerPort: int,
  name: z.string().optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  hostPort: int.optional(),
  hostIP: z.string().optional(),
});
/** One container port. */
export type ContainerPort = z.infer<typeof containerPort>;

const containerSchema = z.strictObject({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVar).optional(),
  ports: z.array(containerPort).optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  startupProbe: probe.optional(),
  imagePullPolicy: z.enum(['Always', 'Never', 'IfNotPresent']).optional(),
  restartPolicy: z.enum(['Always', 'Never', 'OnFailure']).optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.enum(['File', 'FallbackToLogsOnError']).optional(),
  // Documented fields Weft does not read: accepted as written.
  envFrom: opaque, resources: opaque, resizePolicy: opaque, restartPolicyRules: opaque, volumeMounts: opaque,
  volumeDevices: opaque, lifecycle: opaque, securityContext: opaque,
});
/** A container of the pod template; Weft runs `command` + `args` with `env` and ignores `image`. */
export type Container = z.infer<typeof containerSchema>;

/** The structural schema of a pod spec (a Deployment's template and a bare Pod share it). */
export const podSpecSchema = z.strictObject({
  containers: z.array(containerSchema).min(1, 'at least one container is required'),
  initContainers: z.array(containerSchema).optional(),
  serviceAccountName: z.string().optional(),
  /** Deprecated alias of serviceAccountName, still honoured by Kubernetes; normalized away. */
  serviceAccount: z.string().optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  terminationGracePeriodSeconds: int.optional(),
  activeDeadlineSeconds: int.optional(),
  automountServiceAccountToken: z.boolean().optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  nodeName: z.string().optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  enableServiceLinks: z.boolean().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  dnsPolicy: z.enum(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']).optional(),
  priority: int.optional(),
  priorityClassName: z.string().optional(),
  schedulerName: z.string().optional(),
  runtimeClassName: z.string().nullable().optional(),
  preemptionPolicy: z.string().nullable().optional(),
  // Documented fields Weft does not read: accepted as written.
  volumes: opaque, ephemeralContainers: opaque, securityContext: opaque, imagePullSecrets: opaque, affinity: opaque,
  tolerations: opaque, hostAliases: opaque, dnsConfig: opaque, readinessGates: opaque, overhead: opaque,
  topologySpreadConstraints: opaque, os: opaque, schedulingGates: opaque, resourceClaims: opaque, resources: opaque,
  hostnameOverride: opaque,
});
/** A pod's spec (normalized: `serviceAccountName` holds the deprecated `serviceAccount` when only it was given). */
export type PodSpec = z.infer<typeof podSpecSchema>;

const templateMetadata = z.strictObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().nullable().optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: opaque,
});

const podTemplateSpec = z.strictObject({
  metadata: templateMetadata.optional(),
  spec: podSpecSchema,
});
/** A pod template: the labels and annotations each replica gets, and its spec. */
export type PodTemplateSpec = z.infer<typeof podTemplateSpec>;

const deploymentSpecSchema = z.strictObject({
  replicas: int.optional(),
  selector: labelSelector,
  template: podTemplateSpec,
  strategy: z.strictObject({
    type: z.enum(['Recreate', 'RollingUpdate']).optional(),
    rollingUpdate: z.strictObject({ maxUnavailable: intOrString.optional(), maxSurge: intOrString.optional() }).optional(),
  }).optional(),
  minReadySeconds: int.optional(),
  revisionHistoryLimit: int.optional(),
  progressDeadlineSeconds: int.optional(),
  paused: z.boolean().optional(),
});
/** A Deployment's spec (`replicas` absent means 1). */
export type DeploymentSpec = z.infer<typeof deploymentSpecSchema>;

const inPortRange = (n: number) => n >= 1 && n <= 65535;

function checkProbe(p: Probe, sink: IssueSink, path: Path): void {
  const handlers = (['httpGet', 'tcpSocket', 'exec', 'grpc'] as const).filter((h) => p[h] !== undefined);
  if (handlers.length === 0) sink.error(path, 'must specify a handler type (httpGet, tcpSocket, exec or grpc)');
  if (handlers.length > 1) sink.error([...path, handlers[1]!], 'may not specify more than 1 handler type');
  for (const h of ['httpGet', 'tcpSocket'] as const) {
    const port = p[h]?.port;
    if (typeof port === 'number' && !inPortRange(port)) sink.error([...path, h, 'port'], `port ${port} must be in the range 1-65535`);
    if (typeof port === 'string' && !isIanaSvcName(port)) sink.error([...path, h, 'port'], `invalid port name "${port}"`);
  }
  if (p.grpc && !inPortRange(p.grpc.port)) sink.error([...path, 'grpc', 'port'], `port ${p.grpc.port} must be in the range 1-65535`);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[f];
    if (v !== undefined && v < 0) sink.error([...path, f], 'must be greater than or equal to 0');
  }
}

function checkContainer(c: Container, sink: IssueSink, path: Path): void {
  if (!isDns1123Label(c.name)) sink.error([...path, 'name'], `invalid container name "${c.name}": must be a lowercase RFC 1123 label`);
  const portNames = new Set<string>();
  c.ports?.forEach((p, i) => {
    const pp = [...path, 'ports', i];
    if (!inPortRange(p.containerPort)) sink.error([...pp, 'containerPort'], `containerPort ${p.containerPort} must be in the range 1-65535`);
    if (p.hostPort !== undefined && !(p.hostPort >= 0 && p.hostPort <= 65535)) sink.error([...pp, 'hostPort'], 'must be in the range 0-65535');
    if (p.name !== undefined) {
      if (!isIanaSvcName(p.name)) sink.error([...pp, 'name'], `invalid port name "${p.name}": at most 15 lowercase alphanumerics or "-", with a letter`);
      if (portNames.has(p.name)) sink.error([...pp, 'name'], `duplicate port name "${p.name}"`);
      portNames.add(p.name);
    }
  });
  c.env?.forEach((e, i) => {
    const ep = [...path, 'env', i];
    if (e.name === '' || e.name.includes('=')) sink.error([...ep, 'name'], `invalid environment variable name ${JSON.stringify(e.name)}`);
    if (e.value !== undefined && e.value !== '' && e.valueFrom !== undefined) sink.error([...ep, 'valueFrom'], 'may not be specified when `value` is not empty');
    if (e.valueFrom !== undefined) {
      const n = Object.values(e.valueFrom).filter((v) => v !== undefined).length;
      if (n !== 1) sink.error([...ep, 'valueFrom'], 'must specify exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef, fileKeyRef');
    }
  });
  for (const f of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    const p = c[f];
    if (p) checkProbe(p, sink, [...path, f]);
  }
}

/** Checks a pod template (labels, container names unique, each container); paths relative to the content. */
export function checkPodTemplate(t: PodTemplateSpec, sink: IssueSink, path: Path): void {
  checkLabels(t.metadata?.labels, sink, [...path, 'metadata', 'labels']);
  const names = new Set<string>();
  for (const field of ['initContainers', 'containers'] as const) {
    t.spec[field]?.forEach((c, i) => {
      if (names.has(c.name)) sink.error([...path, 'spec', field, i, 'name'], `duplicate container name "${c.name}"`);
      names.add(c.name);
      checkContainer(c, sink, [...path, 'spec', field, i]);
    });
  }
  const sa = t.spec.serviceAccountName;
  if (sa !== undefined && sa !== '' && !isDns1123Subdomain(sa)) {
    sink.error([...path, 'spec', 'serviceAccountName'], `invalid service account name "${sa}"`);
  }
}

function isPercentOrInt(v: number | string): boolean {
  return typeof v === 'number' ? v >= 0 : /^[0-9]+%$/.test(v);
}

function checkDeployment(spec: DeploymentSpec, sink: IssueSink): void {
  if (spec.replicas !== undefined && spec.replicas < 0) sink.error(['replicas'], 'must be greater than or equal to 0');
  checkLabelSelector(spec.selector, sink, ['selector']);
  const hasSelector = Object.keys(spec.selector.matchLabels ?? {}).length > 0 || (spec.selector.matchExpressions?.length ?? 0) > 0;
  if (!hasSelector) sink.error(['selector'], 'empty selector is invalid for deployment');
  else if (!selectorMatches(spec.selector, spec.template.metadata?.labels ?? {})) {
    sink.error(['template', 'metadata', 'labels'], '`selector` does not match template `labels`');
  }
  checkPodTemplate(spec.template, sink, ['template']);
  const restart = spec.template.spec.restartPolicy;
  if (restart !== undefined && restart !== 'Always') sink.error(['template', 'spec', 'restartPolicy'], 'a Deployment only supports restartPolicy Always');
  const strategy = spec.strategy;
  if (strategy?.type === 'Recreate' && strategy.rollingUpdate !== undefined) {
    sink.error(['strategy', 'rollingUpdate'], "may not be specified when strategy `type` is 'Recreate'");
  }
  const ru = strategy?.rollingUpdate;
  for (const f of ['maxUnavailable', 'maxSurge'] as const) {
    const v = ru?.[f];
    if (v !== undefined && !isPercentOrInt(v)) sink.error(['strategy', 'rollingUpdate', f], 'must be a non-negative integer or a percentage such as "25%"');
  }
  const zero = (v: number | string | undefined) => v === 0 || v === '0%';
  if (ru && zero(ru.maxUnavailable) && zero(ru.maxSurge)) sink.error(['strategy', 'rollingUpdate', 'maxUnavailable'], 'may not be 0 when `maxSurge` is 0');
  for (const f of ['minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds'] as const) {
    const v = spec[f];
    if (v !== undefined && v < 0) sink.error([f], 'must be greater than or equal to 0');
  }
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
    sink.error(['progressDeadlineSeconds'], 'must be greater than minReadySeconds');
  }
}

function normalizeDeployment(spec: DeploymentSpec): DeploymentSpec {
  const pod = spec.template.spec;
  if (pod.serviceAccount === undefined || (pod.serviceAccountName !== undefined && pod.serviceAccountName !== '')) return spec;
  return { ...spec, template: { ...spec.template, spec: { ...pod, serviceAccountName: pod.serviceAccount } } };
}

/** Deployment, apps/v1. */
export const deploymentKind = defineKind<DeploymentSpec>({
  kind: 'Deployment',
  group: 'apps',
  versions: ['v1'],
  plural: 'deployments',
  namespaced: true,
  schema: deploymentSpecSchema,
  normalize: normalizeDeployment,
  check: checkDeployment,
});
