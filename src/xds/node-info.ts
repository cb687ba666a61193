/**
 * Who is on the other end of an ADS stream. The first DiscoveryRequest carries Envoy's `Node`
 * (id, cluster, metadata as a `google.protobuf.Struct`); this module turns it into {@link NodeInfo}
 * (metadata as a plain JS object, plus the parts of Istio's proxy id
 * `sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`), and builds a `Node` for Weft's own client.
 */
import { isIP } from 'node:net';

/** A JSON-like value, as a `google.protobuf.Value` can hold it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** `google.protobuf.Value` in object form: exactly one kind is set. */
export interface StructValueMessage {
  nullValue?: string | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMessage;
  listValue?: { values?: StructValueMessage[] };
}

/** `google.protobuf.Struct` in object form. */
export interface StructMessage {
  fields?: Record<string, StructValueMessage>;
}

/** Envoy's `config.core.v3.Node` in object form (the fields Weft reads or writes). */
export interface NodeMessage {
  id?: string;
  cluster?: string;
  metadata?: StructMessage;
  /** `config.core.v3.Locality` of the node (Envoy's `--service-zone`, Istio's bootstrap locality). */
  locality?: { region?: string; zone?: string; subZone?: string };
  userAgentName?: string;
  userAgentVersion?: string;
}

/** Istio's proxy types: a sidecar, or a gateway (`router`). */
export type ProxyType = 'sidecar' | 'router';

/** The four parts of an Istio proxy id, with the pod reference split into name and namespace. */
export interface IstioProxyId {
  type: ProxyType;
  ip: string;
  podName: string;
  namespace: string;
  domain: string;
}

/** A connected proxy as the control plane sees it. */
export interface NodeInfo {
  /** Node id as sent, e.g. `sidecar~10.0.0.1~reviews-v1-0.default~default.svc.cluster.local`. */
  id: string;
  /** Envoy's service cluster (`--service-cluster`), '' when unset. */
  cluster: string;
  /** Node metadata as a plain object ({} when unset). */
  metadata: Record<string, JsonValue>;
  /** `user_agent_name/user_agent_version` when the client sent them. */
  userAgent?: string;
  /** The node's `locality` as `region/zone/subzone`, when it sent one. */
  locality?: string;
  /**
   * The SPIFFE identity the stream's transport authenticated (its verified client certificate),
   * set by the server's access policy, never taken from the request; undefined on plaintext.
   */
  principal?: string;
  /** Parts of the id when it follows Istio's `type~ip~pod.ns~domain` form, else undefined. */
  type?: ProxyType;
  ip?: string;
  podName?: string;
  namespace?: string;
  domain?: string;
}

/** Converts a `google.protobuf.Value` (object form) to a plain JS value. */
export function fromStructValue(v: StructValueMessage): JsonValue {
  if (v.structValue !== undefined) return fromStruct(v.structValue);
  if (v.listValue !== undefined) return (v.listValue.values ?? []).map(fromStructValue);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return null;
}

/** Converts a `google.protobuf.Struct` (object form) to a plain JS object. */
export function fromStruct(s: StructMessage | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromStructValue(v);
  return out;
}

/** Converts a plain JS value to a `google.protobuf.Value`; `undefined` becomes null. */
export function toStructValue(v: JsonValue | undefined): StructValueMessage {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toStructValue) } };
  return { structValue: toStruct(v) };
}

/** Converts a plain JS object to a `google.protobuf.Struct`. */
export function toStruct(obj: Record<string, JsonValue>): StructMessage {
  const fields: Record<string, StructValueMessage> = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = toStructValue(v);
  return { fields };
}

/**
 * Parses Istio's proxy id `type~ip~pod.namespace~domain`. Returns undefined when the id does not
 * have that form (other xDS clients, e.g. proxyless gRPC, use free-form ids). The pod reference
 * splits at its last dot, since namespaces cannot contain dots but pod names may.
 */
export function parseProxyId(id: string): IstioProxyId | undefined {
  const parts = id.split('~');
  if (parts.length !== 4) return undefined;
  const [type, ip, podRef, domain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') return undefined;
  if (isIP(ip) === 0) return undefined;
  const dot = podRef.lastIndexOf('.');
  if (dot <= 0 || dot === podRef.length - 1) return undefined;
  return { type, ip, podName: podRef.slice(0, dot), namespace: podRef.slice(dot + 1), domain };
}

/** Formats an Istio proxy id from its parts (the inverse of {@link parseProxyId}). */
export function formatProxyId(p: IstioProxyId): string {
  return `${p.type}~${p.ip}~${p.podName}.${p.namespace}~${p.domain}`;
}

/** Builds {@link NodeInfo} from the `node` of a first DiscoveryRequest. */
export function parseNode(node: NodeMessage): NodeInfo {
  const info: NodeInfo = { id: node.id ?? '', cluster: node.cluster ?? '', metadata: fromStruct(node.metadata) };
  if (node.userAgentName) info.userAgent = node.userAgentVersion ? `${node.userAgentName}/${node.userAgentVersion}` : node.userAgentName;
  const loc = node.locality;
  if (loc && (loc.region || loc.zone || loc.subZone)) info.locality = [loc.region ?? '', loc.zone ?? '', loc.subZone ?? ''].join('/').replace(/\/+$/, '');
  const parsed = parseProxyId(info.id);
  if (parsed) Object.assign(info, parsed);
  return info;
}

/** What a client says about itself; becomes the `node` of its first request on each stream. */
export interface NodeIdentity {
  id: string;
  cluster?: string;
  metadata?: Record<string, JsonValue>;
  /** The node's locality (`region/zone/subzone`), sent as Envoy's `Node.locality`. */
  locality?: string;
  userAgentName?: string;
  userAgentVersion?: string;
}

/** Builds Envoy's `Node` (object form) for a client's first DiscoveryRequest. */
export function toNodeMessage(n: NodeIdentity): NodeMessage {
  const msg: NodeMessage = { id: n.id };
  if (n.cluster) msg.cluster = n.cluster;
  if (n.metadata) msg.metadata = toStruct(n.metadata);
  if (n.locality) {
    const [region, zone, subZone] = n.locality.split('/');
    msg.locality = { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
  }
  if (n.userAgentName) msg.userAgentName = n.userAgentName;
  if (n.userAgentVersion) msg.userAgentVersion = n.userAgentVersion;
  return msg;
}
