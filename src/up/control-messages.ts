/**
 * Messages between `weft up` and its control-plane child (control-child.ts) over Node's IPC
 * channel (`child_process.fork`, `serialization: 'advanced'`). Requests carry an id answered by
 * one `reply`; everything else is one-way. Resources cross without their `locate` function
 * (`weft up` only reads their fields and `source`).
 */
import type { Resource } from '../config/resource.js';
import type { Diagnostic } from '../config/diagnostic.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';
import type { ControlCaInfo, ControlPorts, LinkedControlPlaneOptions, PodReport } from './control-link.js';

/** A resource as sent over IPC (no functions). */
export type WireResource = Omit<Resource, 'locate'>;

/** `weft up` → child. */
export type ParentMessage =
  /** Start the control plane with these options, knowing these pods already. */
  | { readonly t: 'init'; readonly options: LinkedControlPlaneOptions; readonly pods: readonly PodReport[] }
  /** The pods changed (addresses, health); `refresh` forces a rebuild even when the table is the same. */
  | { readonly t: 'pods'; readonly pods: readonly PodReport[]; readonly refresh: boolean }
  | { readonly t: 'syncStatus'; readonly id: number }
  | { readonly t: 'mintToken'; readonly id: number; readonly namespace: string; readonly serviceAccount: string }
  /** Stop and exit 0. */
  | { readonly t: 'stop' };

/** Child → `weft up`. */
export type ChildMessage =
  /** The IPC listener is attached: send `init`. */
  | { readonly t: 'hello' }
  | { readonly t: 'started'; readonly ports: ControlPorts; readonly ca: ControlCaInfo | undefined; readonly stateWarnings: readonly string[] }
  | { readonly t: 'startFailed'; readonly message: string; readonly errno?: string }
  | { readonly t: 'resources'; readonly resources: readonly WireResource[]; readonly diagnostics: readonly Diagnostic[] }
  /** A config store notice (store-notices.ts) for `weft up`'s terminal. */
  | { readonly t: 'notice'; readonly line: string }
  | { readonly t: 'reply'; readonly id: number; readonly ok: true; readonly value: string | ProxySyncStatus[] }
  | { readonly t: 'reply'; readonly id: number; readonly ok: false; readonly message: string };

/** A resource without its function member, for IPC. */
export function toWire(r: Resource): WireResource {
  const { locate: _locate, ...rest } = r;
  return rest;
}

/** A resource from IPC: `locate` answers with the resource's own source (the document's first line). */
export function fromWire(r: WireResource): Resource {
  return { ...r, locate: () => r.source };
}
