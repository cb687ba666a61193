/**
 * The small Kubernetes core kinds Weft reads (ServiceAccount, Namespace, Secret, ConfigMap), and the
 * one import point for every Kubernetes kind: Service, Endpoints and EndpointSlice live in
 * `kubernetes-service.ts`, Deployment and the pod template in `kubernetes-workload.ts`.
 */
import { z } from 'zod';
import type { KindInfo, ValidationResult } from '../kind-info.js';
import type { ObjectMeta } from '../resource.js';
import { defineKind, type IssueSink } from './common.js';
import { configKeyError, isBase64, isDns1123Label, objectReference } from './kubernetes-names.js';

// Re-exported so callers (kinds.ts, the registry) import every Kubernetes kind from here; documented at their definitions.
export { serviceKind, endpointsKind, endpointSliceKind } from './kubernetes-service.js';
export type { ServiceSpec, ServicePortSpec, EndpointsContent, EndpointSliceContent } from './kubernetes-service.js';
export { deploymentKind, checkPodTemplate } from './kubernetes-workload.js';
export type { DeploymentSpec, PodTemplateSpec, PodSpec, Container, ContainerPort, EnvVar, Probe } from './kubernetes-workload.js';

const serviceAccountSchema = z.strictObject({
  secrets: z.array(objectReference).nullable().optional(),
  imagePullSecrets: z.array(z.strictObject({ name: z.string().optional() })).nullable().optional(),
  automountServiceAccountToken: z.boolean().nullable().optional(),
});
/** The content of a ServiceAccount (its top-level fields). */
export type ServiceAccountContent = z.infer<typeof serviceAccountSchema>;

/** ServiceAccount, core v1: its name is a workload identity (`spiffe://<td>/ns/<ns>/sa/<name>`). */
export const serviceAccountKind = defineKind<ServiceAccountContent>({
  kind: 'ServiceAccount',
  group: '',
  versions: ['v1'],
  plural: 'serviceaccounts',
  namespaced: true,
  content: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  schema: serviceAccountSchema,
});

const namespaceSchema = z.strictObject({ finalizers: z.array(z.string()).optional() });
/** A Namespace's spec. */
export type NamespaceSpec = z.infer<typeof namespaceSchema>;

const namespaceBase = defineKind<NamespaceSpec>({
  kind: 'Namespace',
  group: '',
  versions: ['v1'],
  plural: 'namespaces',
  namespaced: false,
  schema: namespaceSchema,
});

/** Namespace, core v1, cluster-scoped; its name must be an RFC 1123 label (not a subdomain). */
export const namespaceKind: KindInfo<NamespaceSpec> = {
  ...namespaceBase,
  validate(content: unknown, meta: ObjectMeta): ValidationResult<NamespaceSpec> {
    const result = namespaceBase.validate(content, meta);
    if (isDns1123Label(meta.name)) return result;
    const issue = { path: ['metadata', 'name'], message: `invalid namespace name "${meta.name}": must be a lowercase RFC 1123 label`, level: 'Error' as const };
    return { issues: [...result.issues, issue] };
  },
};

const stringMap = z.record(z.string(), z.string());

function checkKeys(map: Readonly<Record<string, string>> | null | undefined, sink: IssueSink, field: string, base64: boolean): void {
  for (const [k, v] of Object.entries(map ?? {})) {
    const e = configKeyError(k);
    if (e) sink.error([field, k], e);
    else if (base64 && !isBase64(v)) sink.error([field, k], 'value must be base64-encoded (standard alphabet, with padding)');
  }
}

const secretSchema = z.strictObject({
  type: z.string().max(253).optional(),
  data: stringMap.nullable().optional(),
  stringData: stringMap.nullable().optional(),
  immutable: z.boolean().nullable().optional(),
});
/** The content of a Secret: after loading, `data` holds every key base64-encoded (stringData merged in, as the API server does). */
export type SecretContent = z.infer<typeof secretSchema>;

/** Keys the API server requires for the built-in Secret types (any one of a group suffices). */
const REQUIRED_SECRET_KEYS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'kubernetes.io/tls': [['tls.crt'], ['tls.key']],
  'kubernetes.io/basic-auth': [['username', 'password']],
  'kubernetes.io/ssh-auth': [['ssh-privatekey']],
  'kubernetes.io/dockerconfigjson': [['.dockerconfigjson']],
  'kubernetes.io/dockercfg': [['.dockercfg']],
};

function checkSecret(s: SecretContent, sink: IssueSink): void {
  checkKeys(s.data, sink, 'data', true);
  checkKeys(s.stringData, sink, 'stringData', false);
  const keys = new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]);
  for (const group of REQUIRED_SECRET_KEYS[s.type ?? ''] ?? []) {
    if (!group.some((k) => keys.has(k))) sink.error(['data'], `a Secret of type ${s.type} needs the key ${group.map((k) => `"${k}"`).join(' or ')}`);
  }
  let size = 0;
  for (const v of Object.values(s.data ?? {})) size += Buffer.byteLength(v.replace(/[\r\n]/g, ''), 'base64');
  for (const v of Object.values(s.stringData ?? {})) size += Buffer.byteLength(v, 'utf8');
  if (size > 1024 * 1024) sink.error(['data'], 'a Secret may hold at most 1 MiB of data');
}

function normalizeSecret(s: SecretContent): SecretContent {
  if (!s.stringData) return s;
  const data: Record<string, string> = { ...(s.data ?? {}) };
  for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  const { stringData: _merged, ...rest } = s;
  return { ...rest, data };
}

/**
 * Annotation on a Secret whose values the control plane's API withheld (src/control/secret-redaction.ts):
 * its `data` values are empty placeholders, not the Secret's content.
 */
export const REDACTED_SECRET_ANNOTATION = 'weft.io/redacted';

/** Secret, core v1 (content: `type`, `data`, `stringData`, `immutable`). */
export const secretKind = defineKind<SecretContent>({
  kind: 'Secret',
  group: '',
  versions: ['v1'],
  plural: 'secrets',
  namespaced: true,
  content: ['type', 'data', 'stringData', 'immutable'],
  schema: secretSchema,
  // Checked as written (before stringData is merged into data), so issues point at the user's keys.
  normalize: (s, sink) => {
    checkSecret(s, sink);
    return normalizeSecret(s);
  },
});

const configMapSchema = z.strictObject({
  data: stringMap.nullable().optional(),
  binaryData: stringMap.nullable().optional(),
  immutable: z.boolean().nullable().optional(),
});
/** The content of a ConfigMap. */
export type ConfigMapContent = z.infer<typeof configMapSchema>;

function checkConfigMap(c: ConfigMapContent, sink: IssueSink): void {
  checkKeys(c.data, sink, 'data', false);
  checkKeys(c.binaryData, sink, 'binaryData', true);
  for (const k of Object.keys(c.binaryData ?? {})) {
    if (c.data && Object.prototype.hasOwnProperty.call(c.data, k)) sink.error(['binaryData', k], `duplicate of key "${k}" in data`);
  }
}

/** ConfigMap, core v1 (content: `data`, `binaryData`, `immutable`). */
export const configMapKind = defineKind<ConfigMapContent>({
  kind: 'ConfigMap',
  group: '',
  versions: ['v1'],
  plural: 'configmaps',
  namespaced: true,
  content: ['data', 'binaryData', 'immutable'],
  schema: configMapSchema,
  check: checkConfigMap,
});
