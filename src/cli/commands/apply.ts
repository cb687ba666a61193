/**
 * `weft apply -f FILE|DIR|-`: validates locally, then creates or replaces resources in the running
 * mesh's store, all or nothing, printing kubectl's lines (`virtualservice.networking.istio.io/reviews configured`).
 * Every apply has an apply id (printed on stderr; `--apply-id` chooses it); `weft apply --status ID`
 * tells whether it was committed (apply-outcome.ts). Batches over 8 MiB or 5,000 resources are
 * refused (src/control/apply-limits.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listFlag, boolFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, API_FLAGS } from '../control-client.js';
import { formatDiagnostic, readAll } from './shared.js';
import { listConfigFiles } from '../../config/load.js';
import { kindKey, kindByName } from '../../config/kinds.js';
import type { ApplyResult } from '../../control/config-store.js';
import { formatBytes, MAX_APPLY_BYTES, MAX_APPLY_RESOURCES, tooLargeError } from '../../control/apply-limits.js';
import { isValidApplyId, newApplyId } from '../../control/apply-log.js';
import { formatApplyStatus, queryApplyStatus, sendBatch } from '../apply-outcome.js';
import { SUPPRESS_FLAG, suppressFlag } from './suppress-flag.js';
import { unsuppressed } from '../../config/suppression.js';

/** The `apply` command. */
export const applyCommand: Command = {
  name: 'apply',
  summary: 'Validate and apply configuration to the running mesh',
  usage: 'weft apply -f FILE|DIR|- [-f …] [--dry-run] [--apply-id ID] [--suppress CODE=RESOURCE] [--server URL] [--state DIR | --token-file FILE]  |  weft apply --status ID',
  description:
    'Every document is validated first; if any is invalid nothing changes and each problem is printed with file:line. ' +
    `An apply is committed all at once or not at all, even if the control plane dies; at most ${formatBytes(MAX_APPLY_BYTES)} and ${MAX_APPLY_RESOURCES} resources per apply. ` +
    'If the answer is lost, weft apply --status ID tells whether apply ID was committed.',
  flags: [
    { name: 'filename', aliases: ['f'], type: 'string', multiple: true, valueName: 'PATH', description: 'file, directory (recursive) or - for stdin' },
    { name: 'dry-run', type: 'boolean', description: 'validate and show what would change, change nothing' },
    { name: 'apply-id', type: 'string', valueName: 'ID', description: 'the id of this apply (8-64 of A-Z a-z 0-9 . _ -; default a fresh one)' },
    SUPPRESS_FLAG,
    { name: 'status', type: 'string', valueName: 'ID', description: 'print whether apply ID was committed, refused, is pending or unknown (= not applied); exit 0 only if committed' },
    ...API_FLAGS,
  ],
  async run(args, io) {
    const statusId = stringFlag(args, 'status');
    if (statusId !== undefined) {
      if (!isValidApplyId(statusId)) throw usageError('--status needs an apply id (8-64 of A-Z a-z 0-9 . _ -)');
      const status = await queryApplyStatus(apiTarget(args, io.env, io.cwd), statusId);
      io.stdout.write(`${formatApplyStatus(status)}\n`);
      return status.status === 'committed' ? 0 : 1;
    }
    const suppress = suppressFlag(args);
    const paths = listFlag(args, 'filename');
    if (paths.length === 0) throw usageError('apply needs -f FILE|DIR|-');
    const applyId = stringFlag(args, 'apply-id') ?? newApplyId();
    if (!isValidApplyId(applyId)) throw usageError('--apply-id needs 8-64 characters of A-Z a-z 0-9 . _ -');
    const files = await readConfigFiles(paths, io.stdin);
    const dryRun = boolFlag(args, 'dry-run');
    const server = apiTarget(args, io.env, io.cwd);
    const request = JSON.stringify({ files });
    // Refused here rather than uploading megabytes the control plane refuses unread (413).
    const bytes = Buffer.byteLength(request);
    if (bytes > MAX_APPLY_BYTES) {
      const e = tooLargeError(bytes);
      throw new CliError(e.code, e.message);
    }
    const sent = await sendBatch<ApplyResult>(server, `/api/v1/apply?dryRun=${dryRun}`, request, applyId);
    if ('committed' in sent) {
      io.stderr.write(`weft apply: the answer was lost, but the control plane committed it: ${formatApplyStatus(sent.committed)}\n`);
      return 0;
    }
    const { body } = sent;
    if (body.error) throw new CliError(body.error, body.message ?? 'apply failed');
    for (const d of unsuppressed(body.diagnostics ?? [], suppress)) if (d.level !== 'Error' || !body.ok) io.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!body.ok) throw new CliError('INVALID_CONFIG', 'configuration rejected; nothing was changed');
    for (const r of body.results) {
      const info = kindByName(r.kind);
      const key = info ? kindKey(info) : r.kind.toLowerCase();
      io.stdout.write(`${key}/${r.name} ${r.action}${dryRun ? ' (dry run)' : ''}\n`);
    }
    if (!dryRun) io.stderr.write(`apply ${body.applyId ?? applyId} committed\n`);
    return 0;
  },
};

async function readConfigFiles(paths: readonly string[], stdin: NodeJS.ReadableStream): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '-', text: await readAll(stdin) });
      continue;
    }
    let files: string[];
    try {
      files = await listConfigFiles(p);
    } catch (err) {
      throw new CliError('UNREADABLE', `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    // Absolute paths: the mesh runs an applied Deployment from its manifest's directory.
    for (const f of files) out.push({ file: path.resolve(f), text: await readFile(f, 'utf8') });
  }
  return out;
}
