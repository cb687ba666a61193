/**
 * Runs every analyzer over one snapshot and returns their messages deduplicated and in istioctl's
 * order. An analyzer that throws does not stop the others: its failure becomes one IST0001
 * InternalError message, so users still get every other finding and never a stack trace.
 */
import type { Diagnostic } from '../config/diagnostic.js';
import type { MeshSnapshot } from '../model/snapshot.js';
import type { Analyzer } from './analyzer.js';
import { buildContext } from './context.js';
import { ALL_ANALYZERS } from './analyzers/index.js';
import { Messages, renderTemplate } from './messages.js';
import { renderLine, sortMessages } from './format.js';

/** Runs `analyzers` (all by default) and returns their sorted, deduplicated messages. */
export function runAnalyzers(snapshot: MeshSnapshot, analyzers: readonly Analyzer[] = ALL_ANALYZERS): Diagnostic[] {
  const ctx = buildContext(snapshot);
  const out: Diagnostic[] = [];
  for (const a of analyzers) {
    try {
      out.push(...a.analyze(ctx));
    } catch (err) {
      out.push({
        code: Messages.InternalError.code,
        level: Messages.InternalError.level,
        message: renderTemplate(Messages.InternalError.template, [`analyzer ${a.name} failed: ${(err as Error)?.message ?? String(err)}`]),
      });
    }
  }
  return sortedDeduped(out);
}

/** Sorts messages as istioctl does and drops exact duplicates (same rendered line). */
export function sortedDeduped(messages: readonly Diagnostic[]): Diagnostic[] {
  const sorted = sortMessages(messages);
  const out: Diagnostic[] = [];
  let last: string | undefined;
  for (const m of sorted) {
    const line = renderLine(m);
    if (line === last) continue;
    last = line;
    out.push(m);
  }
  return out;
}
