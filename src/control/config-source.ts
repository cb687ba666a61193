/**
 * Where a resource in effect comes from, as `weft get` shows it: the watched directory's file
 * (its path) or `applied` (weft apply, kept in the state directory; applied resources win over
 * files with the same kind/namespace/name). The API returns it in an annotation, so
 * `weft get -o yaml|json` shows it and the table shows it as the SOURCE column. The annotation is
 * added to the API's output only, never stored; the loader drops it from input (config/load.ts),
 * so applying `weft get -o yaml` output back leaves the resource unchanged.
 */

/** Annotation carrying the source in API output. */
export const CONFIG_SOURCE_ANNOTATION = 'weft.io/config-source';

/** The source value of an applied resource. */
export const APPLIED_SOURCE = 'applied';

/** A copy of a manifest with the source annotation set. */
export function withConfigSource(manifest: Record<string, unknown>, source: string | undefined): Record<string, unknown> {
  if (source === undefined) return manifest;
  const metadata = (manifest.metadata ?? {}) as Record<string, unknown>;
  const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}), [CONFIG_SOURCE_ANNOTATION]: source };
  return { ...manifest, metadata: { ...metadata, annotations } };
}
