/**
 * Bounds of one `weft apply` / `weft delete` batch, checked before the batch is parsed: a request
 * body of at most {@link MAX_APPLY_BYTES} and at most {@link MAX_APPLY_RESOURCES} resources. Beyond
 * them the API answers 413 and the CLI names the limit. The Kubernetes API server bounds requests
 * the same way (3 MiB bodies by default, `--max-request-bytes` of etcd, 413 "request entity too
 * large"); Weft's bounds are larger because an apply commonly carries a whole directory.
 *
 * Measured on the 2-core CI machine: a 5,000-VirtualService apply (~1.6 MiB) is parsed, committed and
 * pushed in a few seconds; 102,301 in one apply took minutes and more than 1 GB. Split larger
 * changes into several applies (each is atomic on its own).
 */
import { YamlLimits } from '../config/yaml-limits.js';
import { WeftError } from '../util/weft-error.js';

/** Largest accepted apply request body (bytes). */
export const MAX_APPLY_BYTES = 8 * 1024 * 1024;

/** Most resources in one apply or delete: the loader's one limit (config/yaml-limits.ts). */
export const MAX_APPLY_RESOURCES = YamlLimits.maxResourcesPerApply;

/** Stable codes of apply refusals (HTTP API `error` field, CLI error code). */
export const ApplyErrorCode = {
  /** Body over {@link MAX_APPLY_BYTES} (HTTP 413). */
  TooLarge: 'APPLY_TOO_LARGE',
  /** More than {@link MAX_APPLY_RESOURCES} resources (HTTP 413). */
  TooManyResources: 'APPLY_TOO_MANY_RESOURCES',
  /** The apply id was already used (HTTP 409). */
  IdInUse: 'APPLY_ID_IN_USE',
  /** The apply id is malformed (HTTP 400). */
  BadId: 'BAD_APPLY_ID',
  /** The client went away before the batch was committed; nothing changed. */
  ClientGone: 'CLIENT_DISCONNECTED',
} as const;
/** One of {@link ApplyErrorCode}. */
export type ApplyErrorCode = (typeof ApplyErrorCode)[keyof typeof ApplyErrorCode];

/** A refused batch: nothing was changed. `status` is the HTTP status the API answers with. */
export class ApplyError extends WeftError {
  constructor(
    readonly code: ApplyErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/** `8 MiB`, `20.1 MiB`, `900 KiB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** The refusal of a body of `bytes` (or "over the limit" when only that is known). */
export function tooLargeError(bytes?: number): ApplyError {
  const size = bytes === undefined ? 'over' : `${formatBytes(bytes)}, over`;
  return new ApplyError(ApplyErrorCode.TooLarge, `the apply is ${size} the limit of ${formatBytes(MAX_APPLY_BYTES)} per apply; nothing was changed: split it into several applies`, 413);
}

/** The refusal of a batch of `count` resources (at least `count` when counted before parsing). */
export function tooManyResourcesError(count: number, atLeast = false): ApplyError {
  return new ApplyError(
    ApplyErrorCode.TooManyResources,
    `the apply holds ${atLeast ? 'at least ' : ''}${count} resources, over the limit of ${MAX_APPLY_RESOURCES} per apply; nothing was changed: split it into several applies`,
    413,
  );
}

/**
 * The number of non-empty YAML documents in `texts`, counted by a linear scan of `---` separator
 * lines (YAML 1.2 §9.2: a document marker starts a line) without parsing. Equal to the number of
 * documents the loader finds, except that a `kind: List` document counts once (its items are
 * counted after parsing). Stops counting past `stopAt`.
 */
export function countDocuments(texts: readonly { text: string }[], stopAt = Infinity): number {
  let count = 0;
  for (const { text } of texts) {
    let content = false;
    let pos = 0;
    while (pos <= text.length && count < stopAt) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const c = text.charCodeAt(pos);
      if (c === 45 /* - */ && text.startsWith('---', pos) && (end === pos + 3 || /[\s#]/.test(text[pos + 3]!))) {
        if (content) count++;
        content = false;
        // Content may follow the marker on the same line (`--- {a: 1}`).
        if (/^---\s+[^\s#]/.test(text.slice(pos, Math.min(end, pos + 8)))) content = true;
      } else if (!content) {
        const line = text.slice(pos, end);
        if (!/^\s*(#.*)?$/.test(line) && !line.startsWith('...') && !line.startsWith('%')) content = true;
      }
      pos = end + 1;
    }
    if (content) count++;
  }
  return count;
}
