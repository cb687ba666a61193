/**
 * Helpers shared by several commands: reading stdin, printing diagnostics.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import { formatSource } from '../../config/diagnostic.js';

/** Reads a whole stream as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `file:line:col: Error [IST0106] message` — one line per diagnostic. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${formatSource(d.source)}: ` : '';
  return `${where}${d.level} [${d.code}] ${d.message}`;
}
