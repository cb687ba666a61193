/**
 * The envelope every loaded configuration object travels in, Istio kind or Kubernetes kind alike.
 * A Resource is immutable once loaded: validation has already run and deprecated fields are normalized.
 */
import type { SourceRef } from './diagnostic.js';

/** Kubernetes object metadata, as far as Weft reads it. */
export interface ObjectMeta {
  readonly name: string;
  /** Always set after loading: defaults to `default` for namespaced kinds, `` for cluster-scoped ones. */
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** RFC 3339; used where Istio breaks ties by age (older wins). */
  readonly creationTimestamp?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly uid?: string;
}

/** Finds the source position of a field path inside the resource's own document. */
export type Locator = (path: readonly (string | number)[]) => SourceRef;

/**
 * One loaded object. `spec` is the object's spec for kinds that have one; for Kubernetes kinds whose
 * content sits at the top level (Endpoints, EndpointSlice, ServiceAccount, Secret) it holds those
 * top-level fields, so every kind is read the same way.
 */
export interface Resource<S = unknown> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: S;
  /** Where the object starts (its first line). */
  readonly source: SourceRef;
  /** Locates a path given relative to the document root (`['spec','http',0]`). */
  readonly locate: Locator;
}

/** `kind/namespace/name`: the store key of a resource (kind as written, e.g. `VirtualService`). */
export function resourceId(r: { kind: string; metadata: { namespace: string; name: string } }): string {
  return `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}
