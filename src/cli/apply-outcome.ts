/**
 * How `weft apply` and `weft delete` learn a batch's real outcome. Each batch carries an apply id
 * chosen by the CLI before sending (header `x-weft-apply-id`), so the id is known even when no answer
 * comes back. When the connection is lost or times out after the request may have reached the
 * control plane, the CLI asks `GET /api/v1/applies/<id>` once; if that fails too, it prints the id
 * and the command that answers later (`weft apply --status ID`). A batch is committed all at once
 * (src/control/applied-journal.ts), so "unknown" after a restart means "not applied".
 */
import type { ApiTarget } from './control-client.js';
import { callApi } from './control-client.js';
import { CliError } from './errors.js';
import type { ApplyStatus } from '../control/apply-log.js';

/** The header carrying the apply id (src/control/http-api.ts). */
export const APPLY_ID_HEADER = 'x-weft-apply-id';

/** The body of a batch answer: the server's fields plus a possible refusal. */
export type BatchAnswer<T> = T & { applyId?: string; error?: string; message?: string };

/** Errors that mean the request never left (nothing can have been applied). */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Sends a batch (apply or delete) with `applyId`. A lost answer becomes: the batch's status, when
 * the control plane can tell (committed: returned as `{committed}`; refused: CliError APPLY_REFUSED);
 * otherwise CliError APPLY_OUTCOME_UNKNOWN naming the id and how to query it.
 */
export async function sendBatch<T>(target: ApiTarget, apiPath: string, body: string, applyId: string): Promise<{ status: number; body: BatchAnswer<T> } | { committed: ApplyStatus }> {
  try {
    return await callApi<BatchAnswer<T>>(target, apiPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [APPLY_ID_HEADER]: applyId },
      body,
    });
  } catch (err) {
    if (!(err instanceof CliError) || err.code !== 'SERVER_UNREACHABLE') throw err;
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    if (NOT_SENT.has(cause)) throw err; // the request never reached a control plane: nothing was applied
    let status: ApplyStatus | undefined;
    try {
      status = await queryApplyStatus(target, applyId);
    } catch {
      // still unreachable (restarting): the user asks later
    }
    if (status?.status === 'committed') return { committed: status };
    if (status?.status === 'refused') throw new CliError('APPLY_REFUSED', `apply ${applyId} was refused: ${status.message ?? 'no reason given'}; nothing was changed`);
    throw new CliError('APPLY_OUTCOME_UNKNOWN', `lost the answer of the control plane at ${target.server} for apply ${applyId} (${cause || (err.cause as Error | undefined)?.message || 'connection lost'})${status ? `; it is ${status.status} now` : ''}`, {
      details: `A batch is applied all at once or not at all. Ask for its outcome with: weft apply --status ${applyId}${target.server ? ` --server ${target.server}` : ''}\n(committed = applied; refused or unknown = not applied; pending = still being applied)`,
      cause: err,
    });
  }
}

/** `GET /api/v1/applies/<id>`. */
export async function queryApplyStatus(target: ApiTarget, applyId: string): Promise<ApplyStatus> {
  const { body } = await callApi<ApplyStatus & { error?: string; message?: string }>(target, `/api/v1/applies/${encodeURIComponent(applyId)}`);
  if (typeof body.error === 'string') throw new CliError(body.error, body.message ?? 'status query refused');
  return body;
}

/** One line for a status: `apply ap-… committed: apply of 200 resource(s) at 2026-…`. */
export function formatApplyStatus(s: ApplyStatus): string {
  switch (s.status) {
    case 'committed':
      return `apply ${s.applyId} committed: ${s.op ?? 'apply'} of ${s.resources ?? 0} resource(s) at ${s.time ?? '?'}`;
    case 'refused':
      return `apply ${s.applyId} refused at ${s.time ?? '?'}: ${s.message ?? ''} (nothing was changed)`;
    case 'pending':
      return `apply ${s.applyId} pending since ${s.time ?? '?'}: received, not committed yet`;
    default:
      return `apply ${s.applyId} unknown: ${s.message ?? 'not committed'}`;
  }
}
