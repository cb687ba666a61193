/**
 * The applied-state journal: every `weft apply` / `weft delete` batch is committed by appending ONE
 * record to `STATE/applied.journal` and fsyncing it, so a batch is either wholly in the journal or
 * not at all, whenever the control plane dies (`kill -9`, power loss after the fsync). The design is
 * a write-ahead log like etcd's WAL (Kubernetes' store, which `kubectl apply` relies on: a
 * length-prefixed record with a checksum per entry, a torn tail dropped on replay,
 * etcd server/storage/wal/decoder.go), kept deliberately simpler:
 *
 *     WJ1 <payload byte length> <sha256 hex of payload>\n<payload: one line of JSON>\n
 *
 * At start the journal is replayed record by record. A last record that is incomplete or fails its
 * checksum was being written when the process died: it is dropped with a warning (its batch was never
 * acknowledged) and the file is truncated after the last good record, so later appends stay
 * readable. A bad record followed by more data is corruption, not a crash: replay stops there, the
 * file is kept aside as `applied.journal.corrupt-<time>` and the warning says so.
 *
 * Compaction replaces the journal by one snapshot record (written to a temp file, fsynced, renamed
 * over the journal, directory fsynced: durable-file.ts), so the file stays proportional to the
 * applied state. The file is 0600 in a 0700 directory (state-dir.ts).
 */
import { open, readFile, truncate, copyFile, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { writeFileDurable, syncDirectory } from '../util/durable-file.js';

/** File name of the journal inside the state directory. */
export const JOURNAL_FILE = 'applied.journal';

/** Magic of a record header (format version 1). */
const MAGIC = 'WJ1';

/** Largest header line accepted (magic, a length and a 64-digit hash fit in far less). */
const MAX_HEADER = 128;

/** A file of YAML as applied: its name (absolute path, or `-` for stdin) and text. */
export interface JournalFile {
  readonly file: string;
  readonly text: string;
}

/** One committed `weft apply` batch: the files exactly as the client sent them (replayed through the loader). */
export interface ApplyRecord {
  readonly op: 'apply';
  /** The apply id the client was given. */
  readonly id: string;
  /** RFC 3339 commit time. */
  readonly time: string;
  readonly files: readonly JournalFile[];
  /** How many resources the batch holds. */
  readonly count: number;
}

/** One committed `weft delete` batch: the store keys (`kind/namespace/name`) removed. */
export interface DeleteRecord {
  readonly op: 'delete';
  readonly id: string;
  readonly time: string;
  readonly keys: readonly string[];
}

/** What compaction writes: the whole applied state and the ids of the batches already committed. */
export interface SnapshotRecord {
  readonly op: 'snapshot';
  readonly time: string;
  /** Every applied resource as a manifest, grouped by the file it was applied from. */
  readonly files: readonly JournalFile[];
  /** Recent committed batches, oldest first (so `weft apply --status ID` still answers after compaction). */
  readonly commits: readonly CommitInfo[];
}

/** A committed batch as remembered for status queries. */
export interface CommitInfo {
  readonly id: string;
  readonly op: 'apply' | 'delete';
  readonly time: string;
  readonly count: number;
}

/** Any journal record. */
export type JournalRecord = ApplyRecord | DeleteRecord | SnapshotRecord;

/** Result of reading a journal. */
export interface JournalReplay {
  /** The journal file existed (even if empty). */
  readonly existed: boolean;
  /** The good records, in commit order. */
  readonly records: readonly JournalRecord[];
  /** Byte length of the good prefix (the file is truncated to it when anything followed). */
  readonly goodBytes: number;
  /** Warnings to print: a dropped torn record, corruption. */
  readonly warnings: readonly string[];
}

/** Encodes one record (header line, payload line). */
export function encodeRecord(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const hash = createHash('sha256').update(payload).digest('hex');
  return Buffer.concat([Buffer.from(`${MAGIC} ${payload.length} ${hash}\n`, 'latin1'), payload, Buffer.from('\n')]);
}

/**
 * Decodes a journal's bytes: the good records and where they end, and the first problem found.
 * Never throws on bad content.
 */
export function decodeJournal(data: Buffer): { records: JournalRecord[]; goodBytes: number; problem?: { offset: number; reason: string; last: boolean } } {
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    const fail = (reason: string, end: number) => ({ records, goodBytes: offset, problem: { offset, reason, last: end >= data.length } });
    const nl = data.indexOf(0x0a, offset);
    if (nl < 0 || nl - offset > MAX_HEADER) {
      // No complete header: a header cut by the crash (or garbage, if it is long).
      if (nl < 0 && data.length - offset <= MAX_HEADER) return fail('incomplete record header', data.length);
      return fail('unreadable record header', nl < 0 ? data.length : nl);
    }
    const m = /^WJ1 (\d{1,12}) ([0-9a-f]{64})$/.exec(data.subarray(offset, nl).toString('latin1'));
    if (!m) return fail('unreadable record header', nl);
    const length = Number(m[1]);
    const start = nl + 1;
    const end = start + length;
    if (end + 1 > data.length) return fail(`incomplete record (${data.length - start} of ${length + 1} bytes)`, data.length);
    const payload = data.subarray(start, end);
    if (data[end] !== 0x0a) return fail('record not terminated', end + 1);
    if (createHash('sha256').update(payload).digest('hex') !== m[2]) return fail('checksum mismatch', end + 1);
    let record: JournalRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as JournalRecord;
    } catch {
      return fail('record is not JSON', end + 1);
    }
    if (!isRecord(record)) return fail('record of an unknown shape', end + 1);
    records.push(record);
    offset = end + 1;
  }
  return { records, goodBytes: offset };
}

function isRecord(r: unknown): r is JournalRecord {
  if (!r || typeof r !== 'object') return false;
  const o = r as Record<string, unknown>;
  const files = (f: unknown) => Array.isArray(f) && f.every((x) => typeof x?.file === 'string' && typeof x?.text === 'string');
  if (o.op === 'apply') return typeof o.id === 'string' && files(o.files) && typeof o.count === 'number';
  if (o.op === 'delete') return typeof o.id === 'string' && Array.isArray(o.keys) && o.keys.every((k) => typeof k === 'string');
  if (o.op === 'snapshot') return files(o.files) && Array.isArray(o.commits);
  return false;
}

/** Options of a journal. */
export interface AppliedJournalOptions {
  /** Compact once the journal is larger than this many bytes and than twice its last snapshot (default 16 MiB). */
  readonly compactBytes?: number;
}

/** The journal file: replay once, then append records (one fsync each) and compact. Not re-entrant: callers serialize. */
export class AppliedJournal {
  private fh?: FileHandle;
  private bytes = 0;
  private snapshotBytes = 0;
  private broken?: Error;

  constructor(readonly file: string, private readonly options: AppliedJournalOptions = {}) {}

  /** Reads and validates the journal, repairing a torn tail; call once before `append`. */
  async replay(): Promise<JournalReplay> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { existed: false, records: [], goodBytes: 0, warnings: [] };
      throw err;
    }
    const out = decodeJournal(data);
    const warnings: string[] = [];
    if (out.problem) {
      const { offset, reason, last } = out.problem;
      if (last) {
        warnings.push(`${this.file}: dropped the last record (${reason} at byte ${offset}): the control plane stopped while committing that batch, which was never acknowledged and is not applied`);
      } else {
        const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await copyFile(this.file, aside);
        warnings.push(`${this.file}: corrupt at byte ${offset} (${reason}) with ${data.length - offset} bytes after it; the ${out.records.length} record(s) before it are restored, the rest is NOT; the whole file is kept as ${aside}`);
      }
      await truncate(this.file, out.goodBytes);
      const fh = await open(this.file, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    this.bytes = out.goodBytes;
    const first = out.records[0];
    this.snapshotBytes = first?.op === 'snapshot' ? encodeRecord(first).length : 0;
    return { existed: true, records: out.records, goodBytes: out.goodBytes, warnings };
  }

  /** Appends one record and fsyncs it: when this resolves, the record survives a crash. */
  async append(record: JournalRecord): Promise<void> {
    if (!this.fh) {
      const created = this.bytes === 0;
      this.fh = await open(this.file, 'a', 0o600);
      if (created) await syncDirectory(path.dirname(this.file));
    }
    if (this.broken) throw new Error(`${this.file} is not writable since an earlier failure (${this.broken.message}); restart the control plane`);
    const buf = encodeRecord(record);
    try {
      await this.fh.write(buf, 0, buf.length);
      await this.fh.sync();
    } catch (err) {
      // Not committed: take back whatever part of the record reached the file, so that a replay
      // cannot find it complete. If even that fails, no later batch may commit after it.
      try {
        await this.fh.truncate(this.bytes);
        await this.fh.sync();
      } catch {
        this.broken = err as Error;
      }
      throw err;
    }
    this.bytes += buf.length;
  }

  /** True when the journal has grown enough to be worth compacting. */
  needsCompaction(): boolean {
    return this.bytes > (this.options.compactBytes ?? 16 * 1024 * 1024) && this.bytes > 2 * this.snapshotBytes;
  }

  /** Current size in bytes. */
  size(): number {
    return this.bytes;
  }

  /** Replaces the journal atomically by one snapshot record (old or new journal survives a crash, never a mix). */
  async compact(snapshot: SnapshotRecord): Promise<void> {
    const buf = encodeRecord(snapshot);
    await this.fh?.close();
    this.fh = undefined;
    await writeFileDurable(this.file, buf);
    this.bytes = buf.length;
    this.snapshotBytes = buf.length;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
