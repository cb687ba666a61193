/**
 * `weft apply -f FILE|DIR|-`: validates locally, then creates or replaces resources in the running
 * mesh's store, all or nothing, printing kubectl's lines (`virtualservice.networking.istio.io/reviews configured`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listFlag, boolFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, callApi, API_FLAGS } from '../control-client.js';
import { formatDiagnostic, readAll } from './shared.js';
import { listConfigFiles } from '../../config/load.js';
import { kindKey, kindByName } from '../../config/kinds.js';
import type { ApplyResult } from '../../control/config-store.js';

/** The `apply` command. */
export const applyCommand: Command = {
  name: 'apply',
  summary: 'Validate and apply configuration to the running mesh',
  usage: 'weft apply -f FILE|DIR|- [-f …] [--dry-run] [--server URL] [--state DIR | --token-file FILE]',
  description: 'Every document is validated first; if any is invalid nothing changes and each problem is printed with file:line.',
  flags: [
    { name: 'filename', aliases: ['f'], type: 'string', multiple: true, valueName: 'PATH', description: 'file, directory (recursive) or - for stdin' },
    { name: 'dry-run', type: 'boolean', description: 'validate and show what would change, change nothing' },
    ...API_FLAGS,
  ],
  async run(args, io) {
    const paths = listFlag(args, 'filename');
    if (paths.length === 0) throw usageError('apply needs -f FILE|DIR|-');
    const files = await readConfigFiles(paths, io.stdin);
    const dryRun = boolFlag(args, 'dry-run');
    const server = apiTarget(args, io.env, io.cwd);
    const { body } = await callApi<ApplyResult & { error?: string; message?: string }>(server, `/api/v1/apply?dryRun=${dryRun}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files }),
    });
    if (body.error) throw new CliError(body.error, body.message ?? 'apply failed');
    for (const d of body.diagnostics ?? []) if (d.level !== 'Error' || !body.ok) io.stderr.write(`${formatDiagnostic(d)}\n`);
    if (!body.ok) throw new CliError('INVALID_CONFIG', 'configuration rejected; nothing was changed');
    for (const r of body.results) {
      const info = kindByName(r.kind);
      const key = info ? kindKey(info) : r.kind.toLowerCase();
      io.stdout.write(`${key}/${r.name} ${r.action}${dryRun ? ' (dry run)' : ''}\n`);
    }
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
