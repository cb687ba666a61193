/**
 * The "Unsupported fields" section of `weft explain`: fields set on the resources on the request's
 * path that Weft accepts but does not enforce (field-support registry, WFT0100), each with where it
 * is set and why it does nothing. Read from the snapshot's resources, so it works the same on
 * files and on a running control plane.
 */
import { formatPath, formatSource } from '../config/diagnostic.js';
import { kindByName } from '../config/kinds.js';
import { unsupportedFieldsIn } from '../config/field-support/unsupported-fields.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { UnsupportedFieldNote } from './types.js';

/** Unsupported fields set on the involved resources (`Kind/namespace/name` keys), in key order. */
export function unsupportedFieldNotes(snapshot: MeshSnapshot, involved: ReadonlySet<string>): UnsupportedFieldNote[] {
  const out: UnsupportedFieldNote[] = [];
  for (const key of [...involved].sort()) {
    const [kind, namespace, name] = key.split('/') as [string, string, string];
    const info = kindByName(kind);
    if (!info || info.kind !== kind) continue;
    const r = snapshot.list(kind).find((x) => x.metadata.namespace === namespace && x.metadata.name === name);
    if (!r) continue;
    for (const u of unsupportedFieldsIn(info, r.spec)) {
      let source: string | undefined;
      try {
        source = formatSource(r.locate(u.at));
      } catch {
        source = undefined; // resources built in memory may not locate: the field path still says where
      }
      out.push({ resource: `${kind} ${namespace}/${name}`, field: formatPath(u.at), ...(source ? { source } : {}), reason: u.reason });
    }
  }
  return out;
}
