/**
 * Access logging for one proxy and listener side, as istiod computes it (`mergeLogs`,
 * `AccessLogging`, `setHTTPAccessLog`):
 * - Telemetry `accessLogging` entries from the applicable Telemetries (root namespace → namespace →
 *   workload, see telemetry-scope.ts) whose `match.mode` fits the side (outbound and gateways are
 *   CLIENT, inbound is SERVER). The providers in scope are those named by the most specific level
 *   that names any (else `defaultProviders.accessLogging`); each entry applies to its own providers
 *   (or its parent's), later entries override earlier ones, `disabled: true` turns a provider off,
 *   and `filter.expression` becomes a CEL filter on that provider's log.
 * - With no Telemetry access logging and no default providers, or when nothing resolved to a
 *   provider, mesh config `accessLogFile` applies (Istio's text format, or its JSON fields with
 *   `accessLogEncoding: JSON`). A provider explicitly disabled by Telemetry suppresses that fallback.
 * Providers come from mesh config `extensionProviders` (matched case-insensitively), with Istio's
 * built-in `envoy` provider (file `/dev/stdout`, Istio's text format) always available.
 */
import type { AccessLogging, TelemetrySpec } from '../../config/schema/telemetry.js';
import type { Resource } from '../../config/resource.js';
import type { AccessLog } from '../../envoy/types.js';
import type { ExtensionProvider, MeshConfig } from '../../config/mesh-config.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { toStruct } from '../cluster/struct-values.js';
import { ISTIO_JSON_FORMAT, ISTIO_TEXT_FORMAT, withNewline } from './log-formats.js';
import type { WorkloadMode } from './telemetry-scope.js';

/** Name of Envoy's file access logger. */
export const FILE_ACCESS_LOG = 'envoy.access_loggers.file';
/** Name of Envoy's CEL access log filter extension. */
export const CEL_FILTER = 'envoy.access_loggers.extension_filters.cel';

/** Istio's built-in providers, available even when mesh config lists others. */
const BUILTIN_PROVIDERS: readonly ExtensionProvider[] = [{ name: 'envoy', envoyFileAccessLog: { path: '/dev/stdout' } }];

interface LoggingSpec {
  readonly disabled: boolean;
  readonly filter: string | undefined;
}

const modeMatches = (l: AccessLogging, mode: WorkloadMode): boolean => {
  const m = l.match?.mode;
  return m === undefined || m === 'CLIENT_AND_SERVER' || m === mode;
};
const names = (l: AccessLogging): string[] => (l.providers ?? []).map((p) => p.name);

/**
 * Istio's `mergeLogs`: provider name → whether it is disabled and its filter. `levels` are the
 * applicable Telemetries' `accessLogging` lists, least specific first (only non-empty lists).
 */
export function mergeLogs(levels: readonly (readonly AccessLogging[])[], defaults: readonly string[], mode: WorkloadMode): Map<string, LoggingSpec> {
  const providers = new Map<string, LoggingSpec>();
  if (levels.length === 0) {
    for (const d of defaults) providers.set(d, { disabled: false, filter: undefined });
    return providers;
  }
  let inScope: readonly string[] = defaults;
  const filters = new Map<string, string | undefined>();
  for (const level of levels) {
    const seen = new Set<string>();
    for (const l of level) {
      if (!modeMatches(l, mode)) continue;
      for (const p of names(l)) {
        seen.add(p);
        filters.set(p, l.filter?.expression);
      }
    }
    if (seen.size > 0) inScope = [...seen];
  }
  const scope = new Set(inScope);
  let parent: readonly string[] = defaults;
  for (const level of levels) {
    for (const l of level) {
      let ps = names(l);
      if (ps.length === 0) ps = [...parent];
      parent = ps;
      for (const p of ps) {
        if (!scope.has(p) || !modeMatches(l, mode)) continue;
        if (l.disabled === true) providers.set(p, { disabled: true, filter: undefined });
        else providers.set(p, { disabled: false, filter: filters.get(p) });
      }
    }
  }
  return providers;
}

function findProvider(mesh: MeshConfig, name: string): ExtensionProvider | undefined {
  const n = name.toLowerCase();
  return mesh.extensionProviders.find((p) => p.name.toLowerCase() === n) ?? BUILTIN_PROVIDERS.find((p) => p.name === n);
}

function jsonFormat(fields: Readonly<Record<string, unknown>>): ReturnType<typeof toStruct> {
  const plain: Record<string, string> = {};
  for (const k of Object.keys(fields).sort()) plain[k] = String(fields[k]);
  return toStruct(plain);
}

/** A FileAccessLog with Istio's text format (or `text`), or a JSON format. */
export function fileAccessLog(path: string, format: { text?: string; json?: Readonly<Record<string, unknown>> }, filter?: string): AccessLog {
  const logFormat = format.json !== undefined
    ? { jsonFormat: jsonFormat(format.json) }
    : { textFormatSource: { inlineString: format.text !== undefined && format.text !== '' ? withNewline(format.text) : ISTIO_TEXT_FORMAT } };
  return {
    name: FILE_ACCESS_LOG,
    ...(filter !== undefined && filter !== ''
      ? { filter: { extensionFilter: { name: CEL_FILTER, typedConfig: { '@type': TypeUrl.CelAccessLogFilter, expression: filter } } } }
      : {}),
    typedConfig: { '@type': TypeUrl.FileAccessLog, path, logFormat },
  };
}

function providerLog(p: ExtensionProvider, filter: string | undefined): AccessLog | undefined {
  const f = p.envoyFileAccessLog;
  if (f === undefined) return undefined;
  const path = f.path !== undefined && f.path !== '' ? f.path : '/dev/stdout';
  const labels = f.logFormat?.labels;
  if (labels !== undefined) return fileAccessLog(path, { json: Object.keys(labels).length > 0 ? labels : ISTIO_JSON_FORMAT }, filter);
  return fileAccessLog(path, { text: f.logFormat?.text }, filter);
}

/** The HCM `accessLog` list for one proxy side (empty when access logs are off). */
export function buildAccessLogs(telemetries: readonly Resource<TelemetrySpec>[], mesh: MeshConfig, mode: WorkloadMode): AccessLog[] {
  const levels = telemetries.map((t) => t.spec.accessLogging ?? []).filter((l) => l.length > 0);
  const defaults = mesh.defaultProviders.accessLogging ?? [];
  const legacy = (): AccessLog[] =>
    mesh.accessLogFile !== '' ? [fileAccessLog(mesh.accessLogFile, mesh.accessLogEncoding === 'JSON' ? { json: ISTIO_JSON_FORMAT } : {})] : [];
  if (levels.length === 0 && defaults.length === 0) return legacy();
  const merged = mergeLogs(levels, defaults, mode);
  const out: AccessLog[] = [];
  let configured = 0;
  for (const name of [...merged.keys()].sort()) {
    const spec = merged.get(name)!;
    const p = findProvider(mesh, name);
    if (p === undefined || p.envoyFileAccessLog === undefined) continue;
    configured++;
    if (spec.disabled) continue;
    const al = providerLog(p, spec.filter);
    if (al) out.push(al);
  }
  return configured === 0 ? legacy() : out;
}
