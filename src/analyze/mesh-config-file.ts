/**
 * Reads a MeshConfig YAML file (`--meshConfigFile`, as istioctl's flag): Istio's field names, with
 * Istio's defaults for anything not given. Fields Weft does not use are accepted and ignored, as
 * Istio's MeshConfig has many; fields Weft uses are type-checked.
 */
import { parse } from 'yaml';
import type { ExtensionProvider, ForwardClientCertMode, GatewayTopology, MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG, meshConfigWith } from '../config/mesh-config.js';
import { localityLoadBalancerSetting } from '../config/schema/destination-rule.js';
import { WeftError } from '../util/weft-error.js';
import { parseDuration } from '../config/duration.js';

/** A problem in a mesh config file. */
export class MeshConfigError extends WeftError {
  /** Stable code: the one the CLI reports for a bad `--meshConfigFile` (cli/commands/mesh-config-flags.ts). */
  readonly code = 'INVALID_MESH_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'MeshConfigError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new MeshConfigError(`${field} must be a list of strings`);
  return v as string[];
}

const XFCC_MODES: readonly ForwardClientCertMode[] = ['SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET', 'ALWAYS_FORWARD_ONLY'];

/**
 * ProxyConfig `gatewayTopology` (Istio's `Topology`): `numTrustedProxies` (uint32) and
 * `forwardClientCertDetails` (an enum name; `UNDEFINED` means istiod's default).
 */
/** The `gatewayTopology` fields Weft enforces; others (e.g. `proxyProtocol`) are warned about. */
const GATEWAY_TOPOLOGY_FIELDS = new Set(['numTrustedProxies', 'forwardClientCertDetails']);

function parseGatewayTopology(v: unknown, warn: (message: string) => void): GatewayTopology {
  if (!isObject(v)) throw new MeshConfigError('defaultConfig.gatewayTopology must be an object');
  for (const k of Object.keys(v)) if (!GATEWAY_TOPOLOGY_FIELDS.has(k)) warn(`defaultConfig.gatewayTopology.${k} is not supported by Weft and is ignored`);
  const n = v.numTrustedProxies ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 4294967295) throw new MeshConfigError('defaultConfig.gatewayTopology.numTrustedProxies must be a non-negative integer');
  const f = v.forwardClientCertDetails;
  if (f === undefined || f === null || f === 'UNDEFINED') return { numTrustedProxies: n };
  if (typeof f !== 'string' || !(XFCC_MODES as readonly string[]).includes(f)) {
    throw new MeshConfigError(`defaultConfig.gatewayTopology.forwardClientCertDetails must be one of UNDEFINED, ${XFCC_MODES.join(', ')}`);
  }
  return { numTrustedProxies: n, forwardClientCertDetails: f as ForwardClientCertMode };
}

/** Parses mesh config text into a MeshConfig on Istio's defaults; `warn` hears about fields that are accepted but not enforced. */
export function parseMeshConfig(text: string, warn: (message: string) => void = () => undefined): MeshConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new MeshConfigError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return DEFAULT_MESH_CONFIG;
  if (!isObject(doc)) throw new MeshConfigError('mesh config must be a YAML object');
  // A ConfigMap holding the mesh config under data.mesh (as istiod reads it) is accepted too.
  if (doc.kind === 'ConfigMap' && isObject(doc.data) && typeof doc.data.mesh === 'string') return parseMeshConfig(doc.data.mesh, warn);
  const o: { -readonly [K in keyof MeshConfig]?: MeshConfig[K] } = {};
  for (const key of ['rootNamespace', 'trustDomain'] as const) {
    const v = doc[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new MeshConfigError(`${key} must be a non-empty string`);
    o[key] = v;
  }
  if (doc.outboundTrafficPolicy !== undefined) {
    const mode = isObject(doc.outboundTrafficPolicy) ? doc.outboundTrafficPolicy.mode : undefined;
    if (mode !== undefined && mode !== 'ALLOW_ANY' && mode !== 'REGISTRY_ONLY') throw new MeshConfigError('outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY');
    o.outboundTrafficPolicy = { mode: (mode as 'ALLOW_ANY' | 'REGISTRY_ONLY' | undefined) ?? 'ALLOW_ANY' };
  }
  if (doc.extensionProviders !== undefined) {
    if (!Array.isArray(doc.extensionProviders)) throw new MeshConfigError('extensionProviders must be a list');
    o.extensionProviders = doc.extensionProviders.map((p, i) => {
      if (!isObject(p) || typeof p.name !== 'string' || p.name === '') throw new MeshConfigError(`extensionProviders[${i}].name is required`);
      // Spans of an OpenTelemetry tracer are not exported yet (OTLP export is issue 16): say so rather than ignore it silently.
      if (isObject(p.opentelemetry)) warn(`extensionProviders[${i}] (${p.name}): opentelemetry tracing is not supported by Weft: its proxies propagate W3C trace context for it but export no spans (only zipkin providers receive spans)`);
      return p as unknown as ExtensionProvider;
    });
  }
  if (doc.defaultProviders !== undefined) {
    if (!isObject(doc.defaultProviders)) throw new MeshConfigError('defaultProviders must be an object');
    const d = doc.defaultProviders;
    o.defaultProviders = {
      metrics: stringList(d.metrics, 'defaultProviders.metrics'),
      tracing: stringList(d.tracing, 'defaultProviders.tracing'),
      accessLogging: stringList(d.accessLogging, 'defaultProviders.accessLogging'),
    };
  }
  if (doc.enableAutoMtls !== undefined) {
    if (typeof doc.enableAutoMtls !== 'boolean') throw new MeshConfigError('enableAutoMtls must be a boolean');
    o.enableAutoMtls = doc.enableAutoMtls;
  }
  if (typeof doc.accessLogFile === 'string') o.accessLogFile = doc.accessLogFile;
  if (doc.accessLogEncoding === 'TEXT' || doc.accessLogEncoding === 'JSON') o.accessLogEncoding = doc.accessLogEncoding;
  if (typeof doc.ingressSelector === 'string' && doc.ingressSelector) o.ingressGatewaySelector = { istio: doc.ingressSelector };
  if (doc.defaultConfig !== undefined && doc.defaultConfig !== null) {
    if (!isObject(doc.defaultConfig)) throw new MeshConfigError('defaultConfig must be an object');
    const topology = doc.defaultConfig.gatewayTopology;
    if (topology !== undefined && topology !== null) o.gatewayTopology = parseGatewayTopology(topology, warn);
  }
  if (doc.localityLbSetting !== undefined && doc.localityLbSetting !== null) {
    const parsed = localityLoadBalancerSetting.safeParse(doc.localityLbSetting);
    if (!parsed.success) throw new MeshConfigError(`localityLbSetting: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
    o.localityLbSetting = parsed.data;
  }
  if (doc.protocolDetectionTimeout !== undefined && doc.protocolDetectionTimeout !== null) {
    const ms = typeof doc.protocolDetectionTimeout === 'string' ? parseDuration(doc.protocolDetectionTimeout) : undefined;
    if (ms === undefined) throw new MeshConfigError('protocolDetectionTimeout must be a duration such as 100ms or 1s');
    o.protocolDetectionTimeoutMs = ms;
  }
  if (doc.preserveExternalRequestId !== undefined) {
    if (typeof doc.preserveExternalRequestId !== 'boolean') throw new MeshConfigError('preserveExternalRequestId must be a boolean');
    o.preserveExternalRequestId = doc.preserveExternalRequestId;
  }
  return meshConfigWith(o);
}
