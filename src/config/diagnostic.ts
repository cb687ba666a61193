/**
 * Diagnostics: every problem Weft finds in user input is one of these, carrying where it was found.
 * Loaders, validators and analyzers all speak this type; the CLI turns it into text or JSON.
 */

/** A position in a user's file, 1-based as editors show it. */
export interface SourceRef {
  /** Path as the user gave it (or `-` for stdin, `<api>` for resources applied over HTTP). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Severity, named as istioctl names its levels. */
export type Level = 'Error' | 'Warning' | 'Info';

/** A problem in configuration: a stable code (IST0106 …), a level, a message and where. */
export interface Diagnostic {
  readonly code: string;
  readonly level: Level;
  readonly message: string;
  readonly source?: SourceRef;
  /** `Kind namespace/name` of the resource concerned, when there is one. */
  readonly resource?: ResourceKey;
  /** Dotted field path inside the resource (`spec.http[0].route[1].weight`). */
  readonly field?: string;
}

/** Identity of one stored resource. */
export interface ResourceKey {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Formats a key the way istioctl prints it: `VirtualService default/reviews`. */
export function formatKey(key: ResourceKey): string {
  return key.namespace ? `${key.kind} ${key.namespace}/${key.name}` : `${key.kind} ${key.name}`;
}

/** Formats a source position as `file:line:column`. */
export function formatSource(src: SourceRef): string {
  return `${src.file}:${src.line}:${src.column}`;
}

/** Renders a field path (`['spec','http',0,'route']`) as `spec.http[0].route`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}
