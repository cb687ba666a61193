/**
 * `weft delete -f FILE | KIND NAME [-n NS]`: removes applied resources from the running mesh.
 */
import { listFlag, stringFlag } from '../args.js';
import type { Command } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { apiTarget, API_FLAGS } from '../control-client.js';
import { kindByName, kindKey } from '../../config/kinds.js';
import { loadPaths } from '../../config/load.js';
import type { ChangeResult } from '../../control/config-store.js';
import { formatDiagnostic } from './shared.js';
import { newApplyId } from '../../control/apply-log.js';
import { formatApplyStatus, sendBatch } from '../apply-outcome.js';

/** The `delete` command. */
export const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete applied resources from the running mesh',
  usage: 'weft delete -f FILE|DIR|-  |  weft delete KIND NAME [-n NAMESPACE] [--server URL] [--state DIR | --token-file FILE]',
  description: 'Resources that come from files in the watched directory are removed by deleting or editing the file.',
  flags: [
    { name: 'filename', aliases: ['f'], type: 'string', multiple: true, valueName: 'PATH', description: 'delete the resources these files define' },
    { name: 'namespace', aliases: ['n'], type: 'string', description: 'namespace', default: 'default' },
    ...API_FLAGS,
  ],
  async run(args, io) {
    let keys: { kind: string; namespace: string; name: string }[];
    const files = listFlag(args, 'filename');
    if (files.length > 0) {
      const loaded = await loadPaths(files);
      const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
      for (const d of errors) io.stderr.write(`${formatDiagnostic(d)}\n`);
      if (errors.length > 0) throw new CliError('INVALID_CONFIG', 'cannot read the resources to delete; nothing was deleted');
      keys = loaded.resources.map((r) => ({ kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name }));
    } else {
      const [kindArg, ...names] = args.positionals;
      if (!kindArg || names.length === 0) throw usageError('delete needs -f FILE, or KIND NAME');
      const info = kindByName(kindArg);
      if (!info) throw usageError(`unknown kind "${kindArg}"`);
      const ns = info.namespaced ? stringFlag(args, 'namespace') ?? 'default' : '';
      keys = names.map((name) => ({ kind: info.kind, namespace: ns, name }));
    }
    // One atomic batch with an apply id, like weft apply (apply-outcome.ts).
    const applyId = newApplyId();
    const sent = await sendBatch<{ results: ChangeResult[] }>(apiTarget(args, io.env, io.cwd), '/api/v1/delete', JSON.stringify(keys), applyId);
    if ('committed' in sent) {
      io.stderr.write(`weft delete: the answer was lost, but the control plane committed it: ${formatApplyStatus(sent.committed)}\n`);
      return 0;
    }
    const { body } = sent;
    if (body.error) throw new CliError(body.error, body.message ?? 'delete failed');
    let missing = 0;
    for (const r of body.results) {
      const info = kindByName(r.kind);
      const key = info ? kindKey(info) : r.kind.toLowerCase();
      if (r.action === 'not found') {
        missing++;
        io.stderr.write(`Error from server (NotFound): ${key} "${r.name}" not found\n`);
      } else io.stdout.write(`${key} "${r.name}" deleted\n`);
    }
    return missing > 0 ? 1 : 0;
  },
};
