/**
 * What `weft up` runs: one plan per Deployment replica — the first container's command, args and
 * environment (with Kubernetes' `$(VAR)` expansion and the downward-API fields Weft can supply),
 * its labels, service account and ports. `image` is ignored: Weft runs local processes.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../config/duration.js';
import path from 'node:path';
import type { Resource } from '../config/resource.js';
import type { DeploymentSpec, EnvVar, PodSpec, Probe } from '../config/schema/kubernetes-workload.js';
import type { SecretContent, ConfigMapContent } from '../config/schema/kubernetes.js';
import { podName } from '../registry/build-registry.js';
import { SOURCE_FILE_ANNOTATION } from '../control/config-store.js';
import { API_TOKEN_ENV } from '../control/api-auth.js';
import type { StrategySpec } from './rollout.js';
import { lifecycleHandler, type ContainerHandler } from './container-handler.js';

/** Kubernetes' default `terminationGracePeriodSeconds`. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;
/**
 * How long a leaving pod's sidecar drains under `weft up` (its `--drain`), unless the pod template's
 * `proxy.istio.io/config` annotation sets `terminationDrainDuration` (Istio's default is 5 s).
 * Shorter here: a pod leaves only after every proxy has ACKed its removal from the endpoints, so
 * the drain only has to finish requests already in flight.
 */
export const DEFAULT_DRAIN_MS = 2000;

/** One pod to run. */
export interface PodPlan {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** Command and arguments (Kubernetes `command` + `args`); empty when the container has no command. */
  readonly argv: readonly string[];
  /** The container's own environment, before Weft's variables are added. */
  readonly env: readonly EnvVar[];
  /** Container ports; `PORT` is the first. */
  readonly ports: readonly number[];
  /** Named container ports (probes and hooks may name their port). */
  readonly namedPorts?: readonly { readonly name: string; readonly port: number }[];
  /** Working directory: the directory of the manifest that declared the Deployment. */
  readonly cwd: string;
  /**
   * The pod-template hash (Kubernetes' `pod-template-hash`): a digest of `spec.template` alone,
   * so only a template change rolls the pods — not replicas, strategy, annotations of the
   * Deployment or the file it was applied from (see {@link podTemplateKey}).
   */
  readonly specKey: string;
  /** Replica index (the slot `<deployment>-<replica>`). */
  readonly replica: number;
  /** The Deployment's `spec.strategy` as written. */
  readonly strategy?: StrategySpec;
  /** The container's readinessProbe, when it has one (else: ready when the port accepts connections). */
  readonly readinessProbe?: Probe;
  /** The container's `lifecycle.preStop` handler. */
  readonly preStop?: ContainerHandler;
  /** `terminationGracePeriodSeconds` (default 30): preStop plus SIGTERM, then SIGKILL. */
  readonly terminationGraceSeconds: number;
  /** The sidecar's drain on leaving, in ms. */
  readonly drainMs: number;
  /** ProxyConfig fields of the pod annotation Weft does not apply (weft up warns once each). */
  readonly unsupportedProxyConfig: readonly string[];
  /** A bare Pod (kind Pod): its pod is named after it, not `<deployment>-<replica>`. */
  readonly barePod?: boolean;
}

/**
 * The restart key of a Deployment's pods: a digest of its pod template with object keys sorted,
 * as Kubernetes hashes the template into `pod-template-hash`. Everything the config store's change
 * hash leaves out (the source file, key order) is left out here too, so an apply the store reports
 * `unchanged` never restarts a pod, now or at a later unrelated change (issue 11).
 */
export function podTemplateKey(template: unknown): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 10);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Istio's pod annotation carrying ProxyConfig overrides (YAML). */
export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

/**
 * What `weft up` takes from the `proxy.istio.io/config` pod annotation: `terminationDrainDuration`
 * (ms), and the ProxyConfig fields it sets that Weft does not apply (warned about, never silent).
 */
export function proxyConfigAnnotation(annotations: Readonly<Record<string, string>> | undefined): { drainMs?: number; unsupported: string[] } {
  const text = annotations?.[PROXY_CONFIG_ANNOTATION];
  if (text === undefined) return { unsupported: [] };
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 10 });
  } catch {
    return { unsupported: [`${PROXY_CONFIG_ANNOTATION} (not valid YAML)`] };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { unsupported: [`${PROXY_CONFIG_ANNOTATION} (not a map)`] };
  const fields = doc as Record<string, unknown>;
  const drain = typeof fields.terminationDrainDuration === 'string' ? parseDuration(fields.terminationDrainDuration) : undefined;
  const unsupported = Object.keys(fields).filter((k) => k !== 'terminationDrainDuration').map((k) => `${PROXY_CONFIG_ANNOTATION} ${k}`);
  if ('terminationDrainDuration' in fields && drain === undefined) unsupported.push(`${PROXY_CONFIG_ANNOTATION} terminationDrainDuration (not a duration)`);
  return { ...(drain !== undefined ? { drainMs: drain } : {}), unsupported };
}

/**
 * A bare Pod as the Deployment of one replica whose template it is (its labels, annotations and
 * spec): `weft up` runs both with the same code (issue 12).
 */
function barePodAsDeployment(r: Resource): DeploymentSpec {
  const labels = r.metadata.labels ?? {};
  return {
    replicas: 1,
    selector: { matchLabels: { ...labels } },
    template: { metadata: { labels: { ...labels }, ...(r.metadata.annotations ? { annotations: { ...r.metadata.annotations } } : {}) }, spec: r.spec as PodSpec },
  };
}

/** Builds the plans of every Deployment replica and bare Pod; `baseDir` is used for those not read from a file. */
export function planPods(resources: readonly Resource[], baseDir: string): PodPlan[] {
  const plans: PodPlan[] = [];
  for (const r of resources) {
    if (r.kind !== 'Deployment' && r.kind !== 'Pod') continue;
    const barePod = r.kind === 'Pod';
    const spec = barePod ? barePodAsDeployment(r) : (r.spec as DeploymentSpec);
    const pod = spec.template?.spec;
    const container = pod?.containers?.[0];
    // Applied resources remember their manifest's path in an annotation (it survives restarts).
    const file = r.metadata.annotations?.[SOURCE_FILE_ANNOTATION] ?? r.source.file;
    const cwd = file && file !== '-' && !file.startsWith('<') ? path.dirname(path.resolve(file)) : baseDir;
    const argv = [...(container?.command ?? []), ...(container?.args ?? [])];
    const ports = (container?.ports ?? []).map((p) => p.containerPort);
    const namedPorts = (container?.ports ?? []).flatMap((p) => (p.name ? [{ name: p.name, port: p.containerPort }] : []));
    const labels = spec.template?.metadata?.labels ?? {};
    const serviceAccount = pod?.serviceAccountName ?? pod?.serviceAccount ?? 'default';
    // The working directory is not part of the key: a pod keeps running where it was started
    // until its template changes (an identical apply from another directory changes nothing).
    const specKey = podTemplateKey(spec.template);
    const proxyConfig = proxyConfigAnnotation(spec.template?.metadata?.annotations);
    const preStop = lifecycleHandler((container as { lifecycle?: unknown } | undefined)?.lifecycle, 'preStop');
    for (let i = 0; i < (spec.replicas ?? 1); i++) {
      plans.push({
        name: barePod ? r.metadata.name : podName(r.metadata.name, i),
        namespace: r.metadata.namespace,
        deployment: r.metadata.name,
        labels,
        serviceAccount,
        argv,
        env: container?.env ?? [],
        ports,
        namedPorts,
        cwd,
        specKey,
        replica: i,
        strategy: spec.strategy,
        readinessProbe: container?.readinessProbe,
        preStop,
        terminationGraceSeconds: pod?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS,
        drainMs: proxyConfig.drainMs ?? DEFAULT_DRAIN_MS,
        unsupportedProxyConfig: proxyConfig.unsupported,
        ...(barePod ? { barePod } : {}),
      });
    }
  }
  return plans;
}

/** Values Weft supplies for the downward API and its own variables. */
export interface PodRuntime {
  readonly podIp: string;
  readonly appHost: string;
  readonly outboundProxy: string;
}

/**
 * The process environment of a pod's app: the parent environment minus proxy settings and Weft's
 * own `WEFT_*` variables (tokens, credentials meant for Weft's processes), Weft's
 * variables (`HOST`, `PORT`, `HTTP_PROXY`, …), then the container's env with `$(VAR)` expansion
 * and `valueFrom` resolved (fieldRef, secretKeyRef / configMapKeyRef from the given resources).
 */
export function podEnvironment(plan: PodPlan, rt: PodRuntime, resources: readonly Resource[], parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent)) {
    // Apps never get Weft's own settings, nor the operator's API credential (api-auth.ts).
    if (/^(https?_proxy|no_proxy|all_proxy)$/i.test(k) || k.startsWith('WEFT_') || k === API_TOKEN_ENV) continue;
    env[k] = v;
  }
  const own: Record<string, string> = {
    HOST: rt.appHost,
    ...(plan.ports.length > 0 ? { PORT: String(plan.ports[0]) } : {}),
    HTTP_PROXY: rt.outboundProxy,
    http_proxy: rt.outboundProxy,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
    POD_NAME: plan.name,
    POD_NAMESPACE: plan.namespace,
    POD_IP: rt.podIp,
    SERVICE_ACCOUNT: plan.serviceAccount,
  };
  Object.assign(env, own);
  const defined: Record<string, string> = { ...own };
  for (const e of plan.env) {
    let value: string | undefined;
    if (e.value !== undefined) value = expandVars(e.value, defined);
    else if (e.valueFrom?.fieldRef) value = fieldRef(e.valueFrom.fieldRef.fieldPath, plan, rt);
    else if (e.valueFrom?.secretKeyRef) value = keyRef(resources, 'Secret', plan.namespace, e.valueFrom.secretKeyRef);
    else if (e.valueFrom?.configMapKeyRef) value = keyRef(resources, 'ConfigMap', plan.namespace, e.valueFrom.configMapKeyRef);
    if (value === undefined) continue;
    env[e.name] = value;
    defined[e.name] = value;
  }
  return env;
}

/** The command line with `$(VAR)` references expanded from the container's environment, as Kubernetes does. */
export function podArgv(plan: PodPlan, env: NodeJS.ProcessEnv): string[] {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  return plan.argv.map((a) => expandVars(a, vars));
}

/** Kubernetes' `$(VAR)` expansion: defined variables are replaced, `$$(VAR)` escapes, unknown references stay. */
export function expandVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && vars[name] !== undefined ? vars[name]! : m;
  });
}

function fieldRef(fieldPath: string, plan: PodPlan, rt: PodRuntime): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return plan.name;
    case 'metadata.namespace':
      return plan.namespace;
    case 'status.podIP':
      return rt.podIp;
    case 'spec.serviceAccountName':
      return plan.serviceAccount;
    case 'status.hostIP':
      return '127.0.0.1';
    default: {
      const m = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
      return m ? plan.labels[m[1]!] : undefined;
    }
  }
}

function keyRef(resources: readonly Resource[], kind: 'Secret' | 'ConfigMap', ns: string, ref: { name?: string; key: string }): string | undefined {
  const r = resources.find((x) => x.kind === kind && x.metadata.namespace === ns && x.metadata.name === ref.name);
  if (!r) return undefined;
  if (kind === 'Secret') {
    const data = (r.spec as SecretContent).data?.[ref.key];
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  }
  return (r.spec as ConfigMapContent).data?.[ref.key];
}
