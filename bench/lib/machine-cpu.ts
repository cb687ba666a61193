/**
 * How busy the machine was with processes that are not the benchmark's: busy CPU time from
 * /proc/stat minus the benchmark's own (this process, its reaped children via cutime/cstime, and
 * its live children). Others' work on a shared machine shows up here, so a noisy run is visible.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return busy / TICKS;
}

/** CPU seconds of this process plus its waited-for children (utime, stime, cutime, cstime). */
export function selfAndReapedSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
}

/** A mark to measure foreign CPU from. */
export interface CpuMark {
  readonly at: number;
  readonly busy: number;
  readonly ours: number;
}

/** Marks now; `liveOurs` is the CPU seconds of the benchmark's live children. */
export function cpuMark(liveOurs: number): CpuMark {
  return { at: performance.now(), busy: machineBusySeconds(), ours: selfAndReapedSeconds() + liveOurs };
}

/** Average number of cores busy with other processes between two marks (≥ 0). */
export function foreignCores(from: CpuMark, to: CpuMark): number {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, (to.busy - from.busy - (to.ours - from.ours)) / seconds);
}

/** `loadavg` over 1 minute and the CPU count, for the report. */
export function loadLine(): string {
  return `load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} CPUs`;
}
