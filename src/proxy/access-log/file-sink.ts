/**
 * Buffered, non-blocking access log files. The request path only appends a line to memory; a flush
 * scheduled with `setImmediate` writes everything pending in one `fs.write` on libuv's thread pool,
 * one write in flight per file, so a slow disk or a slow reader of a pipe never stalls the event
 * loop. When more than {@link MAX_PENDING_BYTES} wait, new lines are dropped and counted
 * (`filesystem.write_dropped`), as a sink that cannot keep up must not grow memory without bound.
 *
 * `/dev/stdout` and `/dev/stderr` are opened as files (a new open file description of the same pipe,
 * file or terminal) so the writes never go through Node's synchronous `process.stdout`; where that
 * open fails (a socket), the process's own descriptor is written instead.
 */
import fs from 'node:fs';
import type { Scalar, StatsStore } from '../stats/stats-store.js';

/** Lines waiting beyond this many bytes are dropped. */
export const MAX_PENDING_BYTES = 4 * 1024 * 1024;

/** Counters of one proxy's access log files (Envoy's `filesystem.*` stats, plus drops). */
export interface SinkStats {
  readonly writeBuffered: Scalar;
  readonly writeCompleted: Scalar;
  readonly writeFailed: Scalar;
  readonly writeDropped: Scalar;
  readonly totalBuffered: Scalar;
}

/** Registers the `filesystem.*` stats in a proxy's store. */
export function sinkStats(store: StatsStore): SinkStats {
  const f = (name: string, type: 'counter' | 'gauge', help: string): Scalar =>
    store.family<Scalar>({ name: `envoy_filesystem_${name}`, type, help, labelNames: [], envoyName: () => `filesystem.${name}` }).with({});
  return {
    writeBuffered: f('write_buffered', 'counter', 'Access log lines buffered for writing.'),
    writeCompleted: f('write_completed', 'counter', 'Access log writes completed.'),
    writeFailed: f('write_failed', 'counter', 'Access log writes that failed.'),
    writeDropped: f('write_dropped', 'counter', 'Access log lines dropped because the file could not keep up.'),
    totalBuffered: f('write_total_buffered', 'gauge', 'Access log bytes waiting to be written.'),
  };
}

/** One access log file. */
export class FileSink {
  private pending: string[] = [];
  private pendingBytes = 0;
  private fd: number | undefined;
  private opening = false;
  private writing = false;
  private scheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly path: string, private readonly stats: SinkStats, private readonly maxPendingBytes = MAX_PENDING_BYTES) {}

  /** Queues one line (with its newline); never blocks, drops when the backlog is full. */
  write(line: string): void {
    if (this.closed) return;
    if (this.pendingBytes + line.length > this.maxPendingBytes) {
      this.stats.writeDropped.inc();
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.stats.writeBuffered.inc();
    this.stats.totalBuffered.set(this.pendingBytes);
    if (!this.scheduled && !this.writing) {
      this.scheduled = true;
      setImmediate(flushSink, this);
    }
  }

  /** Writes what is pending (called from the scheduled flush). */
  flush(): void {
    this.scheduled = false;
    if (this.writing || this.pending.length === 0) {
      if (!this.writing) this.notifyIdle();
      return;
    }
    if (this.fd === undefined) {
      if (!this.opening) this.open();
      return;
    }
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    const lines = this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.stats.totalBuffered.set(0);
    this.writing = true;
    this.writeAll(this.fd, buf, 0, lines);
  }

  private writeAll(fd: number, buf: Buffer, offset: number, lines: number): void {
    fs.write(fd, buf, offset, buf.length - offset, null, (err, written) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.writeAll(fd, buf, offset, lines), 5);
          return;
        }
        this.stats.writeFailed.inc();
      } else if (offset + written < buf.length) {
        this.writeAll(fd, buf, offset + written, lines);
        return;
      } else this.stats.writeCompleted.inc();
      this.writing = false;
      if (this.pending.length > 0) this.flush();
      else this.notifyIdle();
    });
  }

  private open(): void {
    this.opening = true;
    fs.open(this.path, 'a', (err, fd) => {
      this.opening = false;
      if (err) {
        const std = this.path === '/dev/stdout' ? 1 : this.path === '/dev/stderr' ? 2 : undefined;
        if (std === undefined) {
          this.stats.writeFailed.inc();
          this.stats.writeDropped.inc(this.pending.length);
          this.pending = [];
          this.pendingBytes = 0;
          this.notifyIdle();
          return;
        }
        this.fd = std;
      } else this.fd = fd;
      this.flush();
    });
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Resolves once everything queued so far was written (or failed). */
  drain(): Promise<void> {
    if (this.pending.length === 0 && !this.writing && !this.opening) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.scheduled && !this.writing && !this.opening) this.flush();
    });
  }

  /** Drains, then closes the file (not the process's own stdout/stderr). */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined && fd > 2) await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }
}

function flushSink(sink: FileSink): void {
  sink.flush();
}

/** The access log files of one proxy, by path; shared by every listener that logs to a path. */
export class FileSinks {
  private readonly sinks = new Map<string, FileSink>();
  private stats: SinkStats | undefined;

  /** Stats are registered when the first file is used, so proxies without access logs expose none. */
  constructor(private readonly store: StatsStore, private readonly maxPendingBytes = MAX_PENDING_BYTES) {}

  /** The sink for `path`, created on first use. */
  get(path: string): FileSink {
    let s = this.sinks.get(path);
    if (!s) {
      this.stats ??= sinkStats(this.store);
      s = new FileSink(path, this.stats, this.maxPendingBytes);
      this.sinks.set(path, s);
    }
    return s;
  }

  /** Flushes and closes every file. */
  async close(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.close()));
    this.sinks.clear();
  }
}
