/**
 * Apply ids and their outcomes, so a client that lost its answer (timeout, connection cut, control
 * plane killed) learns what happened: `GET /api/v1/applies/<id>`, `weft apply --status <id>`.
 *
 * - `pending`: received, not yet committed (being parsed or waiting for the journal);
 * - `committed`: in the journal (applied-journal.ts), so in effect and kept across restarts;
 * - `refused`: rejected with a reason; nothing changed;
 * - `unknown`: this control plane never committed it — after a restart that means it is NOT
 *   applied, since commits are atomic and durable (only the last {@link MAX_REMEMBERED} commits are
 *   remembered; refusals are remembered until a restart).
 *
 * Kubernetes has no apply id (a lost `kubectl apply` answer is resolved by reading the object's
 * resourceVersion); Weft's batches span many objects, so the batch gets the id.
 */
import { randomBytes } from 'node:crypto';
import type { CommitInfo } from './applied-journal.js';

/** How many commits (and refusals) are remembered for status queries. */
export const MAX_REMEMBERED = 10_000;

/** State of an apply or delete batch. */
export type ApplyState = 'pending' | 'committed' | 'refused' | 'unknown';

/** What `GET /api/v1/applies/<id>` answers. */
export interface ApplyStatus {
  readonly applyId: string;
  readonly status: ApplyState;
  readonly op?: 'apply' | 'delete';
  /** RFC 3339: commit time (committed), time of refusal (refused), receipt (pending). */
  readonly time?: string;
  /** Resources in the committed batch. */
  readonly resources?: number;
  /** Why it was refused, or what `unknown` means. */
  readonly message?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$/;

/** A fresh apply id: `ap-<time base36>-<12 hex>` (sortable by time, unguessable enough to never collide). */
export function newApplyId(): string {
  return `ap-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** True when `id` is a well-formed apply id (8–64 characters of `A-Za-z0-9._-`, as clients may choose their own). */
export function isValidApplyId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Message of the `unknown` status. */
export const UNKNOWN_MESSAGE =
  'this control plane has no record of this id: it was not committed (commits are atomic and survive restarts, so nothing of it is applied), or it is older than the last 10000 commits';

/** The outcomes of recent batches. */
export class ApplyLog {
  private readonly entries = new Map<string, ApplyStatus>();

  /** Marks `id` received; false when the id is already known (reused). */
  begin(id: string, op: 'apply' | 'delete'): boolean {
    if (this.entries.has(id)) return false;
    this.set({ applyId: id, status: 'pending', op, time: new Date().toISOString() });
    return true;
  }

  /** Records a commit (at run time or while replaying the journal). */
  committed(c: CommitInfo): void {
    this.entries.delete(c.id);
    this.set({ applyId: c.id, status: 'committed', op: c.op, time: c.time, resources: c.count });
  }

  /** Records a refusal. */
  refused(id: string, op: 'apply' | 'delete', message: string): void {
    this.entries.delete(id);
    this.set({ applyId: id, status: 'refused', op, time: new Date().toISOString(), message });
  }

  /** Forgets a pending id (dry runs, which are never committed). */
  forget(id: string): void {
    if (this.entries.get(id)?.status === 'pending') this.entries.delete(id);
  }

  /** The status of `id`. */
  get(id: string): ApplyStatus {
    return this.entries.get(id) ?? { applyId: id, status: 'unknown', message: UNKNOWN_MESSAGE };
  }

  /** The remembered commits, oldest first (what a journal snapshot keeps). */
  commits(): CommitInfo[] {
    const out: CommitInfo[] = [];
    for (const e of this.entries.values()) if (e.status === 'committed') out.push({ id: e.applyId, op: e.op ?? 'apply', time: e.time ?? '', count: e.resources ?? 0 });
    return out;
  }

  private set(s: ApplyStatus): void {
    this.entries.set(s.applyId, s);
    if (this.entries.size > MAX_REMEMBERED) this.entries.delete(this.entries.keys().next().value!);
  }
}
