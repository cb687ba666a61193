/**
 * Process lifecycle shared by the sample apps: one place that turns SIGTERM (and SIGINT, for Ctrl-C
 * in a terminal) into an orderly shutdown. Apps register cleanup steps; on the first signal they
 * run in order of registration, then the process exits 0. A cleanup that hangs cannot keep the
 * process alive: after `graceMs` the process exits anyway, still with status 0, because the
 * signal asked it to stop and it did.
 */

/** A cleanup step run on shutdown. */
export type ShutdownStep = () => void | Promise<void>;

const steps: ShutdownStep[] = [];
let installed = false;
let stopping = false;

/** Default time allowed for cleanup before the process exits regardless. */
export const DEFAULT_GRACE_MS = 5_000;

/**
 * Registers `step` to run when the process receives SIGTERM or SIGINT, and installs the signal
 * handlers on first use. Steps run one after another; a failing step is logged and skipped.
 */
export function onShutdown(step: ShutdownStep, graceMs: number = DEFAULT_GRACE_MS): void {
  steps.push(step);
  if (installed) return;
  installed = true;
  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`received ${signal}, shutting down\n`);
    const timer = setTimeout(() => process.exit(0), graceMs);
    timer.unref();
    void runSteps().then(() => process.exit(0));
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

async function runSteps(): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      process.stderr.write(`shutdown step failed: ${(err as Error).message}\n`);
    }
  }
}

/** True once a shutdown signal has been received. */
export function isShuttingDown(): boolean {
  return stopping;
}
