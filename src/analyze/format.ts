/**
 * Output of `weft analyze`, as istioctl prints it: one line per message,
 * `Error [IST0101] (VirtualService default/reviews reviews.yaml:12) Referenced host not found: "reviews2"`,
 * sorted by level (errors first), code, resource and text; or a JSON/YAML list of objects with
 * `code`, `documentationUrl`, `level`, `message`, `origin` and `reference`.
 */
import { stringify } from 'yaml';
import type { Diagnostic, Level } from '../config/diagnostic.js';
import { formatKey } from '../config/diagnostic.js';

/** Where istioctl points for each code's explanation. */
export const ANALYSIS_DOCS_URL = 'https://istio.io/latest/docs/reference/config/analysis';

const LEVEL_ORDER: Record<Level, number> = { Error: 0, Warning: 1, Info: 2 };

/** True when `level` is at least as severe as `threshold`. */
export function atLeast(level: Level, threshold: Level): boolean {
  return LEVEL_ORDER[level] <= LEVEL_ORDER[threshold];
}

/** `Kind namespace/name file:line`, or `file:line` for messages about a file rather than a resource. */
export function origin(m: Diagnostic): string | undefined {
  const ref = reference(m);
  if (m.resource) return ref ? `${formatKey(m.resource)} ${ref}` : formatKey(m.resource);
  return ref;
}

/** `file:line` of a message, when known. */
export function reference(m: Diagnostic): string | undefined {
  return m.source ? `${m.source.file}:${m.source.line}` : undefined;
}

/** One message as istioctl's log line (colour optional, as istioctl's `--color`). */
export function renderLine(m: Diagnostic, colorize = false): string {
  const o = origin(m);
  const colors: Record<Level, string> = { Error: '\x1b[1;31m', Warning: '\x1b[33m', Info: '' };
  const level = colorize && colors[m.level] ? `${colors[m.level]}${m.level}\x1b[0m` : m.level;
  return `${level} [${m.code}]${o ? ` (${o})` : ''} ${m.message}`;
}

function comparator(m: Diagnostic): string {
  return m.resource ? `${m.resource.kind}/${m.resource.namespace}/${m.resource.name}` : `${m.source?.file ?? ''}`;
}

/** Sorts as istioctl: level, code, messages without a resource first, resource, then the line. */
export function sortMessages(messages: readonly Diagnostic[]): Diagnostic[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...messages].sort((a, b) =>
    LEVEL_ORDER[a.level] - LEVEL_ORDER[b.level] ||
    cmp(a.code, b.code) ||
    (a.resource ? 1 : 0) - (b.resource ? 1 : 0) ||
    cmp(comparator(a), comparator(b)) ||
    (a.source && b.source && a.source.file === b.source.file ? a.source.line - b.source.line : 0) ||
    cmp(renderLine(a), renderLine(b)));
}

/** One message as istioctl's JSON object (keys in the order Go's encoder writes them). */
export interface JsonMessage {
  readonly code: string;
  readonly documentationUrl: string;
  readonly level: Level;
  readonly message: string;
  readonly origin?: string;
  readonly reference?: string;
}

/** Converts a message to istioctl's JSON shape. */
export function toJson(m: Diagnostic): JsonMessage {
  const ref = reference(m);
  return {
    code: m.code,
    documentationUrl: m.code.startsWith('IST') ? `${ANALYSIS_DOCS_URL}/${m.code.toLowerCase()}/?ref=istioctl-analyze` : '',
    level: m.level,
    message: m.message,
    ...(m.resource ? { origin: formatKey(m.resource) } : {}),
    ...(ref ? { reference: ref } : {}),
  };
}

/** Output formats `-o` accepts. */
export type OutputFormat = 'log' | 'json' | 'yaml';

/** Renders the messages in a format; log output has no trailing newline when empty. */
export function formatMessages(messages: readonly Diagnostic[], format: OutputFormat, colorize = false): string {
  switch (format) {
    case 'json':
      return JSON.stringify(messages.map(toJson), null, '\t');
    case 'yaml':
      return messages.length === 0 ? '[]' : stringify(messages.map(toJson)).trimEnd();
    default:
      return messages.map((m) => renderLine(m, colorize)).join('\n');
  }
}
